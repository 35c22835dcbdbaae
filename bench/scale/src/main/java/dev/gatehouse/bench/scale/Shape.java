package dev.gatehouse.bench.scale;

import static java.util.Objects.requireNonNull;

/**
 * The sizes of the generated cluster (issue 14: 5 000 GatewayServices, 10 000 GatewayRoutes,
 * 2 000 Upstreams whose Services' EndpointSlices hold 50 000 endpoints, 10 000 Consumers with
 * keys) and how many changes are measured. Every size is a flag of {@code bench/scale.sh}.
 *
 * <p>How the objects relate, so a reader can tell what a change touches:
 * <ul>
 *   <li>Upstream {@code u-i} → Service {@code svc-i} (port {@code http}) in cluster mode, or
 *       {@code endpoints / upstreams} static targets in local mode;</li>
 *   <li>GatewayService {@code gs-j} → Upstream {@code u-(j mod upstreams)};</li>
 *   <li>GatewayRoute {@code r-k} → GatewayService {@code gs-(k mod services)}, host
 *       {@code h(k mod hosts).example.com} (ten routes per host), path {@code /p<k>}, every
 *       {@link #REGEX_EVERY}th also a regex path, every {@link #KEY_AUTH_EVERY}th with key-auth;</li>
 *   <li>Consumer {@code c-m} with one key in Secret {@code key-m}.</li>
 * </ul>
 */
record Shape(int services, int routes, int upstreams, int endpoints, int consumers, int edits, int rollout) {
    static final int REGEX_EVERY = 20;
    static final int KEY_AUTH_EVERY = 10;
    static final int ROUTES_PER_HOST = 10;
    /** Endpoints per EndpointSlice, as the EndpointSlice controller cuts them by default. */
    static final int SLICE_SIZE = 100;
    static final Shape FULL = new Shape(5_000, 10_000, 2_000, 50_000, 10_000, 100, 500);

    Shape {
        positive("services", services);
        positive("routes", routes);
        positive("upstreams", upstreams);
        positive("consumers", consumers);
        positive("edits", edits);
        if (endpoints < upstreams) {
            throw new IllegalArgumentException("endpoints: " + endpoints + " (expected: at least one per upstream, >= " + upstreams + ")");
        }
        if (rollout < 1 || rollout > endpoints) {
            throw new IllegalArgumentException("rollout: " + rollout + " (expected: 1.." + endpoints + ")");
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 1)");
        }
    }

    int hosts() {
        return Math.max(1, routes / ROUTES_PER_HOST);
    }

    /** Endpoints of upstream {@code i}: the total spread evenly, the remainder on the first ones. */
    int endpointsOf(int i) {
        return endpoints / upstreams + (i < endpoints % upstreams ? 1 : 0);
    }

    /** A distinct IPv4 address per endpoint number {@code n} (0-based), in 10.0.0.0/8. */
    static String address(int n) {
        int v = n + 1;
        return "10." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
    }

    /** The objects written into the API server in cluster mode (Services, EndpointSlices, Upstreams, ..., Secrets). */
    int objects() {
        int slices = 0;
        for (int i = 0; i < upstreams; i++) {
            slices += (endpointsOf(i) + SLICE_SIZE - 1) / SLICE_SIZE;
        }
        return upstreams * 2 + slices + services + routes + consumers * 2;
    }

    /** One line naming the sizes, for the report. */
    String describe() {
        return String.format("%,d GatewayServices, %,d GatewayRoutes (%,d hosts, %,d regex paths, %,d with key-auth), "
                        + "%,d Upstreams, %,d endpoints, %,d Consumers with keys",
                services, routes, hosts(), (routes + REGEX_EVERY - 1) / REGEX_EVERY, (routes + KEY_AUTH_EVERY - 1) / KEY_AUTH_EVERY,
                upstreams, endpoints, consumers);
    }

    static Shape parse(String[] args, java.util.List<String> rest) {
        requireNonNull(args, "args");
        int[] v = {FULL.services, FULL.routes, FULL.upstreams, FULL.endpoints, FULL.consumers, FULL.edits, FULL.rollout};
        String[] names = {"--services", "--routes", "--upstreams", "--endpoints", "--consumers", "--edits", "--rollout"};
        outer:
        for (int a = 0; a < args.length; a++) {
            for (int n = 0; n < names.length; n++) {
                if (args[a].equals(names[n])) {
                    if (a + 1 == args.length) {
                        throw new IllegalArgumentException(names[n] + ": missing value (expected: a number)");
                    }
                    try {
                        v[n] = Integer.parseInt(args[++a].replace("_", ""));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(names[n] + ": " + args[a] + " (expected: a number)");
                    }
                    continue outer;
                }
            }
            rest.add(args[a]);
        }
        return new Shape(v[0], v[1], v[2], v[3], v[4], v[5], Math.min(v[6], v[3]));
    }
}
