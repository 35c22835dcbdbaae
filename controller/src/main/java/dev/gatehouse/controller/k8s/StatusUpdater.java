package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.ObjectStatus;
import dev.gatehouse.controller.translate.StatusCondition;
import dev.gatehouse.controller.translate.Translation;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * Writes the status of the Gatehouse objects on its own thread, off the rebuild path: a rebuild
 * hands over the latest (state, translation, version) with {@link #offer} and returns at once;
 * a proxy connecting, acknowledging or refusing calls {@link #proxiesChanged()}, which re-decides
 * Programmed without a translation.
 *
 * <p>One pass diffs what each object should show against what it shows (the informer cache, or
 * this updater's own last write while the cache has not caught up with it) and writes only the
 * objects that differ: after a restart the cache holds what the last leader wrote, so nothing
 * unchanged is rewritten. Writes are paced by a {@link WriteBudget} ({@code --status-writes-per-second}),
 * objects whose generation changed first. A newer offer ends the pass at the next write and
 * starts over from it (the newest state wins; what is already written stays written). Each
 * write re-decides Programmed against the proxies of that moment, so acknowledgements arriving
 * during a long pass change what it writes rather than adding a pass. A failed write is retried
 * with a backoff (1 s doubling to 60 s) per object. Only while leading. The Ingress and Gateway
 * API passes run after this one on the same thread and the same budget ({@link StatusPace}).
 *
 * <p>The first pass after start waits until every connected proxy acknowledged the first snapshot,
 * at most {@code --status-startup-hold} ({@link StartupHold}): the proxies' first compile gets the
 * cores that tens of thousands of status writes would take at scale. Once only.
 *
 * <p>The publish path comes first: a pass plans and writes only while no translation or publish is
 * pending or running and none ran within {@code --status-quiet-after-publish} ({@link StatusPacer}),
 * so a route edit met by a long pass (a start's) is published and applied on cores the pass leaves
 * alone, and the pass goes on after it. Neither the pauses nor newer offers hold status more than
 * {@code --status-max-delay} behind a change: then a batch of writes goes out while changes keep
 * coming (a rollout), and the pass it belongs to runs to the end of the batch. An object whose decided status, cached object and
 * Programmed inputs are those it was last found unchanged with is not compared again, so the
 * passes after each change and each acknowledgement cost little per unchanged object. The pass
 * after an endpoint-only change (the endpoint path's offers since the last plan, each patching the
 * one before), a rebuild that kept every object in its place (a route edit) or a proxy's
 * acknowledgement plans over only the objects whose status could have changed
 * ({@link StatusPlanner}): the Upstreams whose targets moved or the statuses the rebuild changed,
 * what the cache holds anew, what waited for that acknowledgement, what is still to write; an
 * object added or removed, leadership won, a failed pass, a proxy coming or going and a refusal
 * get a pass over every object.
 *
 * <p>Meters: {@code gatehouse_controller_status_queued} (writes waiting in the current pass),
 * {@code gatehouse_controller_status_busy} (1 while a pass is due or under way),
 * {@code gatehouse_controller_status_writes_total{result=written|unchanged|failed}},
 * {@code gatehouse_controller_status_rate_limited_seconds} (waits for the budget),
 * {@code gatehouse_controller_status_paused_total} (pauses for the publish path),
 * {@code gatehouse_controller_status_pause_overruns_total}, {@code gatehouse_controller_status_passes_total},
 * {@code gatehouse_controller_status_plans_total{plan=full|narrowed}} and
 * {@code gatehouse_controller_status_planned_total{plan=...}} (objects looked at; {@code event=status.pass}
 * logs the plan and its count, {@code event=status.plan} at DEBUG every pass),
 * {@code gatehouse_controller_status_cpu_seconds_total} (this thread's CPU; {@code event=status.pass}
 * logs it per write), {@code gatehouse_controller_status_startup_hold_total{ended}} ({@link StartupHold}).
 */
final class StatusUpdater implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusUpdater.class);

    /**
     * What the statuses should show: one rebuild's outcome. {@code others} runs the Ingress and
     * Gateway API passes after this updater's own, with a {@link StatusPace} on the same budget.
     */
    record Desired(ClusterState state, Translation translation, long version, java.util.function.Consumer<StatusPace> others,
                   Touched touched) {
        Desired {
            requireNonNull(state, "state");
            requireNonNull(translation, "translation");
            others = Objects.requireNonNullElse(others, pace -> { });
        }

        /** A rebuild's outcome: any status may have changed. */
        Desired(ClusterState state, Translation translation, long version, java.util.function.Consumer<StatusPace> others) {
            this(state, translation, version, others, null);
        }
    }

    /**
     * What the endpoint path changed: {@code translation} is {@code base} with the statuses at
     * {@code statuses} replaced (the Upstreams whose targets moved), every other one the same object
     * at the same index ({@link dev.gatehouse.controller.translate.EndpointChange}).
     */
    record Touched(Translation base, int[] statuses) {
        Touched {
            requireNonNull(base, "base");
            requireNonNull(statuses, "statuses");
        }
    }

    /** Writes one object's status: {@link StatusWriter#write}. Returns the object as written, null when nothing was. */
    @FunctionalInterface
    interface ObjectWrite {
        @SuppressWarnings("rawtypes")
        CustomResource write(CustomResource base, List<StatusCondition> desired, ObjectStatus decided);
    }

    /** The updater's clock and its waits, so tests run the rate limit on a clock they drive. */
    interface Time {
        long nanoTime();

        /** Waits up to {@code nanos} on {@code wake} (held), returning early when signalled. */
        void park(java.util.concurrent.locks.Condition wake, long nanos) throws InterruptedException;

        Time SYSTEM = new Time() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void park(java.util.concurrent.locks.Condition wake, long nanos) throws InterruptedException {
                wake.awaitNanos(nanos);
            }
        };
    }

    private final ObjectWrite writer;
    private final StatusPacer pacer;
    /** The start-up pass waits for the proxies' first acknowledgement ({@code --status-startup-hold}); this thread only. */
    private final StartupHold startupHold;
    private final Time time;
    private final ReentrantLock lock = new ReentrantLock();
    private final java.util.concurrent.locks.Condition wake = lock.newCondition();
    private final Thread thread;
    private final AtomicInteger queued = new AtomicInteger();
    /** A pass is due or under way (paused for the publish path or the budget included); written under {@link #lock}. */
    private volatile boolean busy;
    private final Counter written;
    private final Counter unchanged;
    private final Counter failed;
    private final Counter passes;
    private final Counter fullPlans;
    private final Counter narrowedPlans;
    private final Counter plannedFull;
    private final Counter plannedNarrowed;
    private final Counter cpu;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    /** Guarded by {@link #lock}. */
    private Desired latest;
    private long offers;
    private boolean dirty;
    /** When the first signal since the last pass took its state came; -1: none since. */
    private long dirtySince = -1;
    private boolean leading;
    private boolean closed;
    /** The status indexes the endpoint path replaced in the offers since the last take; see {@link #wholeSince}. */
    private final Set<Integer> touchedSince = new HashSet<>();
    /** An offer since the last take was not the endpoint path's patch of the one before: a rebuild's. */
    private boolean rebuiltSince;
    /** Leadership changed since the last take: the next plan is a full one. */
    private boolean wholeSince = true;
    private volatile ProxyFleet fleet = ProxyFleet.NONE;
    // the rest: the updater's thread only
    private final StatusShown shown = new StatusShown();
    private final StatusPlanner planner = new StatusPlanner(shown);
    /** Touched since the last complete plan, by the offers taken since (a take not planned carries over). */
    private final Set<Integer> carried = new HashSet<>();
    /** A rebuild's offer was taken since the last complete plan: its statuses are compared with those planned. */
    private boolean carriedRebuilt;
    private boolean carriedWhole = true;

    /** Never paused for a publish: for tests of the updater alone. */
    StatusUpdater(ObjectWrite writer, ControllerConfig.StatusRate rate, MeterRegistry registry, Time time) {
        this(writer, rate, StatusPacer.PublishPath.IDLE, registry, time);
    }

    /** @param publishPath when the controller's translation and publish are busy ({@link Debouncer#quietIn}) */
    StatusUpdater(ObjectWrite writer, ControllerConfig.StatusRate rate, StatusPacer.PublishPath publishPath, MeterRegistry registry,
                  Time time) {
        this.writer = requireNonNull(writer, "writer");
        this.time = requireNonNull(time, "time");
        this.pacer = new StatusPacer(rate, publishPath, time::nanoTime, registry);
        this.startupHold = new StartupHold(rate.startupHold(), registry);
        io.micrometer.core.instrument.Gauge.builder("gatehouse.controller.status.busy", this, u -> u.busy ? 1 : 0)
                .description("1 while a status pass is due or under way (paused for the publish path included), 0 once "
                        + "every status is written (failed writes wait for their retry)").register(registry);
        io.micrometer.core.instrument.Gauge.builder("gatehouse.controller.status.queued", queued, AtomicInteger::get)
                .description("Status writes waiting in the current pass").register(registry);
        this.written = writes(registry, "written", "Status writes made");
        this.unchanged = writes(registry, "unchanged", "Objects whose status already showed what it should (no write)");
        this.failed = writes(registry, "failed", "Status writes the API server refused (retried with a backoff)");
        this.passes = Counter.builder("gatehouse.controller.status.passes").description("Status passes planned")
                .register(registry);
        this.fullPlans = plans(registry, "full", "Status passes planned over every object");
        this.narrowedPlans = plans(registry, "narrowed", "Status passes planned over only the objects whose status could "
                + "have changed since the last plan (after an endpoint-only change or a proxy's acknowledgement)");
        this.plannedFull = planned(registry, "full");
        this.plannedNarrowed = planned(registry, "narrowed");
        this.cpu = Counter.builder("gatehouse.controller.status.cpu").baseUnit("seconds")
                .description("CPU time of the status writer's thread (planning, comparing, serialising, writing)")
                .register(registry);
        this.thread = new Thread(this::run, "gatehouse-status");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private static Counter plans(MeterRegistry registry, String plan, String description) {
        return Counter.builder("gatehouse.controller.status.plans").tag("plan", plan).description(description)
                .register(registry);
    }

    private static Counter planned(MeterRegistry registry, String plan) {
        return Counter.builder("gatehouse.controller.status.planned").tag("plan", plan)
                .description("Objects looked at by status passes' plans (compared with what they show), by plan")
                .register(registry);
    }

    private static Counter writes(MeterRegistry registry, String result, String description) {
        return Counter.builder("gatehouse.controller.status.writes").tag("result", result).description(description)
                .register(registry);
    }

    void fleet(ProxyFleet fleet) {
        this.fleet = requireNonNull(fleet, "fleet");
    }

    /** The latest outcome of a rebuild; replaces any not yet written. Never blocks on the API. */
    void offer(Desired desired) {
        requireNonNull(desired, "desired");
        signal(() -> {
            Touched t = desired.touched();
            if (t != null && latest != null && t.base() == latest.translation()) {
                for (int i : t.statuses()) {
                    touchedSince.add(i);
                }
            } else {
                rebuiltSince = true;
            }
            latest = desired;
            offers++;
        });
    }

    /** A proxy connected, disconnected, acknowledged or refused: Programmed is decided again. Cheap. */
    void proxiesChanged() {
        signal(() -> { });
    }

    /** Leading or not; only the leader writes. Becoming leader makes a pass over what is there. */
    void leading(boolean leading) {
        signal(() -> {
            this.leading = leading;
            wholeSince = true;
        });
    }

    private void signal(Runnable change) {
        lock.lock();
        try {
            change.run();
            dirty = true;
            if (dirtySince < 0) {
                dirtySince = time.nanoTime();
            }
            busy = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (true) {
            Desired d;
            long serial;
            lock.lock();
            try {
                while (!closed) {
                    long now = time.nanoTime();
                    boolean due = leading && latest != null && (dirty || shown.nextRetry() <= now);
                    long held = latest == null ? 0 : startupHold.waitNanos(latest.version(), fleet, now);
                    if (due && held == 0) {
                        break;
                    }
                    if (held > 0) {
                        busy = due; // due, held until the proxies applied the first snapshot (or the bound)
                        time.park(wake, held); // a proxy's acknowledgement signals
                        continue;
                    }
                    busy = false; // every status written, or waiting for a retry or for leadership
                    long retry = shown.nextRetry();
                    if (retry == Long.MAX_VALUE || !leading) {
                        wake.await();
                    } else {
                        time.park(wake, Math.max(1, retry - time.nanoTime()));
                    }
                }
                if (closed) {
                    return;
                }
                d = latest;
                serial = offers;
                dirty = false;
                carried.addAll(touchedSince);
                carriedWhole |= wholeSince;
                carriedRebuilt |= rebuiltSince;
                touchedSince.clear();
                wholeSince = false;
                rebuiltSince = false;
                busy = true;
                pacer.behind(dirtySince < 0 ? time.nanoTime() : dirtySince); // a retry's pass: behind since now
                dirtySince = -1;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            try {
                pass(d, serial);
            } catch (RuntimeException e) {
                planner.forget();
                carriedWhole = true;
                log.error("event=status.pass_failed error=\"{}\"", e.toString(), e);
            }
        }
    }

    /**
     * True when a newer offer arrived, leadership ended or the updater closed: the pass stops. A
     * newer offer does not stop a batch the pacer let through for status held too long behind.
     */
    private boolean superseded(long serial) {
        boolean batch = pacer.inBatch();
        lock.lock();
        try {
            return closed || !leading || (offers != serial && !batch);
        } finally {
            lock.unlock();
        }
    }

    @SuppressWarnings("rawtypes")
    private void pass(Desired d, long serial) {
        if (!awaitTurn(serial, false)) {
            return; // a newer state (or the end of leading): the next pass starts from it
        }
        long cpuStart = THREADS.getCurrentThreadCpuTime();
        try {
            if (ownPass(d, serial, cpuStart)) {
                boolean[] stopped = {false};
                d.others().accept(() -> {
                    boolean go = awaitTurn(serial, true);
                    stopped[0] |= !go;
                    return go;
                });
                if (!stopped[0]) {
                    pacer.caughtUp(); // every status shows this pass's state
                }
            }
        } finally {
            cpu.increment(Math.max(0, THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e9);
        }
    }

    /** The pass over Gatehouse's own kinds; false when it stopped early (a newer state, the end of leading). */
    @SuppressWarnings("rawtypes")
    private boolean ownPass(Desired d, long serial, long cpuStart) {
        passes.increment();
        StatusPlanner.Plan plan = carriedWhole ? planner.planFull(d, fleet, time.nanoTime())
                : planner.plan(d, carriedRebuilt ? null : carried, fleet, time.nanoTime());
        carried.clear();
        carriedWhole = false;
        carriedRebuilt = false;
        (plan.narrowed() ? narrowedPlans : fullPlans).increment();
        (plan.narrowed() ? plannedNarrowed : plannedFull).increment(plan.planned());
        unchanged.increment(plan.unchanged());
        List<StatusPlanner.Pending> todo = plan.todo();
        log.debug("event=status.plan plan={} planned={} to_write={} version={}", plan.narrowed() ? "narrowed" : "full",
                plan.planned(), todo.size(), d.version());
        queued.set(todo.size());
        int wrote = 0;
        int refused = 0;
        for (StatusPlanner.Pending p : todo) {
            if (!awaitTurn(serial, true)) {
                queued.set(0);
                return false; // a newer state (or the end of leading): the next pass starts from it
            }
            ProxyFleet current = fleet; // the proxies of this moment
            List<StatusCondition> desired = planner.wanted(p.key(), p.cached(), p.decided(),
                    planner.since(p.decided().source().uid(), d.version()), current, current.rejections(d.version()));
            queued.decrementAndGet();
            if (desired == null) {
                unchanged.increment(); // the proxies' acknowledgements made it so meanwhile
                continue;
            }
            CustomResource base = shown.base(p.key(), p.cached());
            try {
                CustomResource result = writer.write(base, desired, p.decided());
                shown.written(p.key(), p.cached(), result);
                if (result == null) {
                    unchanged.increment();
                } else {
                    written.increment();
                    wrote++;
                }
            } catch (KubernetesClientException e) {
                failed.increment();
                refused++;
                StatusShown.Failure f = shown.failed(p.key(), time.nanoTime());
                log.warn("event=status.write_failed object={} code={} attempt={} retry_in_ms={} error=\"{}\"", p.key(), e.getCode(),
                        f.count(), f.backoffNanos() / 1_000_000, e.getMessage() == null ? "" : e.getMessage().replace('"', '\''));
            }
        }
        queued.set(0);
        if (wrote > 0 || refused > 0) {
            long spent = Math.max(0, THREADS.getCurrentThreadCpuTime() - cpuStart);
            log.info("event=status.pass written={} failed={} objects={} plan={} planned={} cpu_ms={} cpu_micros_per_write={}",
                    wrote, refused, d.translation().statuses().size(), plan.narrowed() ? "narrowed" : "full", plan.planned(),
                    spent / 1_000_000, spent / 1_000 / (wrote + refused));
        }
        return true;
    }

    /**
     * Waits for the publish path to be quiet and, with {@code write}, for a write's budget (taking
     * it); false when the pass should stop instead.
     */
    private boolean awaitTurn(long serial, boolean write) {
        while (true) {
            if (superseded(serial)) {
                return false;
            }
            long wait = pacer.waitNanos(write);
            if (wait == 0) {
                return true;
            }
            boolean batch = pacer.inBatch();
            lock.lock();
            try {
                if ((offers == serial || batch) && leading && !closed) {
                    time.park(wake, wait);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public void close() {
        signal(() -> closed = true);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
