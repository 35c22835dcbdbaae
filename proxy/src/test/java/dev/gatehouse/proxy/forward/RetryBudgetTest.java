package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The budget arithmetic, its counting, and its counts across snapshots. */
class RetryBudgetTest {

    @ParameterizedTest(name = "percent={0} min={1} attempts={2} retries={3} -> {4}")
    @CsvSource({
            // the default budget: 3 retries in flight at low traffic...
            "20, 3, 0, 0, true",
            "20, 3, 0, 2, true",
            "20, 3, 2, 2, true",
            "20, 3, 3, 3, false",
            "20, 3, 10, 3, false",
            // ...20% of the attempts (the retry counted) at high traffic: floor(0.2 * 100) = 20
            "20, 3, 99, 19, true",
            "20, 3, 99, 20, false",
            "20, 3, 98, 19, false",
            "20, 3, 24, 4, true",
            "20, 3, 25, 5, false",
            // percent 0: only the minimum; both 0: no retry at all
            "0, 3, 1000, 2, true",
            "0, 3, 1000, 3, false",
            "0, 0, 0, 0, false",
            "0, 0, 1000, 0, false",
            // minimum 0: the share alone; 1 retry needs 5 attempts in flight at 20%
            "20, 0, 3, 0, false",
            "20, 0, 4, 0, true",
            "50, 0, 1, 0, true",
            "50, 0, 0, 0, false",
            // percent 100: no cap, whatever the counts
            "100, 0, 0, 0, true",
            "100, 0, 0, 5, true",
            "100, 3, 7, 7, true",
            // no overflow near the int range
            "99, 0, 2147483646, 2126008809, true",
            "99, 0, 2147483646, 2126008810, false",
            "99, 0, 2147483647, 2126008810, true",
    })
    void admitsARetryOnlyWithinMaxOfMinimumAndShare(int percent, int min, int attempts, int retries, boolean admitted) {
        assertThat(RetryBudget.admits(percent, min, attempts, retries)).isEqualTo(admitted);
    }

    @ParameterizedTest(name = "percent={0} min={1} attempts={2} -> {3}")
    @CsvSource({
            "20, 3, 0, 3",
            "20, 3, 15, 3",
            "20, 3, 20, 4",
            "20, 3, 24, 4",
            "20, 3, 25, 5",
            "20, 3, 1000, 200",
            "0, 0, 1000, 0",
            "50, 1, 3, 1",
            "50, 1, 4, 2",
            "20, 3, -1, 3",
    })
    void limitIsTheMinimumOrTheShareOfAttemptsWhicheverIsLarger(int percent, int min, long attempts, long limit) {
        assertThat(RetryBudget.limit(percent, min, attempts)).isEqualTo(limit);
    }

    @Test
    void countsAttemptsAndRetriesUntilTheyEnd() {
        RetryBudget b = budget("default/s", 20, 3);
        b.attemptStarted();
        b.attemptStarted();
        assertThat(b.tryRetry()).isTrue();
        assertThat(b.tryRetry()).isTrue();
        assertThat(b.tryRetry()).isTrue();
        assertThat(b.retriesInFlight()).isEqualTo(3);
        assertThat(b.attemptsInFlight()).as("a retry is an attempt in flight too").isEqualTo(5);
        assertThat(b.tryRetry()).as("3 in flight, 20% of 6 is 1: the minimum caps").isFalse();
        assertThat(b.retriesInFlight()).as("a refused retry counts nothing").isEqualTo(3);
        assertThat(b.attemptsInFlight()).isEqualTo(5);
        b.attemptEnded(true);
        assertThat(b.tryRetry()).isTrue();
        b.attemptEnded(false);
        b.attemptEnded(false);
        for (int i = 0; i < 3; i++) {
            b.attemptEnded(true);
        }
        assertThat(b.retriesInFlight()).isZero();
        assertThat(b.attemptsInFlight()).isZero();
    }

    /**
     * Eight threads (event loops) taking and returning retries: never more than the limit held at
     * once, and no count left behind. (The compare-and-set's own race window is too narrow to
     * provoke here; a check-then-increment passes this test on two cores. This test fails on a
     * wrong limit or a lost decrement.)
     */
    @Test
    void racingLoopsStayWithinTheLimitAndLeaveNoCountBehind() throws Exception {
        RetryBudget b = budget("default/s", 0, 3);
        int threads = 8;
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicLong admitted = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 50_000; i++) {
                    if (b.tryRetry()) {
                        admitted.incrementAndGet();
                        most.accumulateAndGet(holding.incrementAndGet(), Math::max);
                        most.accumulateAndGet(b.retriesInFlight(), Math::max);
                        Thread.yield();
                        holding.decrementAndGet();
                        b.attemptEnded(true);
                    }
                }
            });
            th.start();
            all.add(th);
        }
        go.countDown();
        for (Thread th : all) {
            th.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(th.isAlive()).isFalse();
        }
        assertThat(admitted.get()).isPositive();
        assertThat(most.get()).as("retries held at once").isBetween(1, 3);
        assertThat(b.retriesInFlight()).isZero();
        assertThat(b.attemptsInFlight()).isZero();
    }

    @Test
    void countsOfAServiceThatStaysSurviveASwapWithTheNewLimits() {
        RetryBudgets budgets = new RetryBudgets();
        RetryBudgets.Plan first = budgets.plan();
        RetryBudget before = first.budget(service("default/s", 20, 3));
        RetryBudget gone = first.budget(service("default/gone", 20, 3));
        assertThat(first.budget(service("default/s", 20, 3))).as("one budget per service per snapshot").isSameAs(before);
        budgets.commit(first);
        before.attemptStarted();
        assertThat(before.tryRetry()).isTrue();

        RetryBudgets.Plan second = budgets.plan();
        RetryBudget after = second.budget(service("default/s", 50, 1));
        RetryBudget added = second.budget(service("default/new", 20, 3));
        budgets.commit(second);
        assertThat(after.sharesCountsWith(before)).isTrue();
        assertThat(after.attemptsInFlight()).isEqualTo(2);
        assertThat(after.retriesInFlight()).isEqualTo(1);
        assertThat(after.percent()).isEqualTo(50);
        assertThat(after.minConcurrency()).isEqualTo(1);
        assertThat(added.attemptsInFlight()).isZero();
        assertThat(budgets.services()).containsExactlyInAnyOrder("default/s", "default/new");
        // a request in flight on the old snapshot ends on the shared counts
        before.attemptEnded(true);
        assertThat(after.retriesInFlight()).isZero();

        RetryBudgets.Plan refused = budgets.plan();
        RetryBudget neverLive = refused.budget(service("default/gone", 20, 3));
        assertThat(neverLive.sharesCountsWith(gone)).as("a service that left starts afresh").isFalse();
        assertThat(budgets.services()).as("a plan not committed changes nothing").containsExactlyInAnyOrder("default/s", "default/new");
        RetryBudgets.Plan again = budgets.plan();
        assertThat(again.budget(service("default/s", 20, 3)).sharesCountsWith(after)).isTrue();
    }

    private static Service service(String id, int percent, int min) {
        return new Service(id, null, "default/u", null, "/", null, 5, null, new Service.RetryBudget(percent, min));
    }

    private static RetryBudget budget(String id, int percent, int min) {
        return RetryBudget.detached(service(id, percent, min));
    }
}
