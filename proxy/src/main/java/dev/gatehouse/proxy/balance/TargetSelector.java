package dev.gatehouse.proxy.balance;

import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;
import java.util.List;

/** Picks the target for one attempt of a request. */
public interface TargetSelector {
    /** The targets, indexed as {@link #pick} answers. */
    List<Peer> peers();

    /**
     * @param tried indexes already tried by this request; never picked again
     * @return the index of the target to try, or -1 when no untried target with weight > 0 is left
     */
    int pick(BitSet tried);

    /**
     * As {@link #pick(BitSet)}, for {@code request} (as it goes upstream) from {@code client} (the
     * real client by the trusted-proxies rule, the {@code ClientIP} hash key); algorithms that
     * hash on the request read it here.
     */
    default int pick(HttpRequest request, ClientAddress client, BitSet tried) {
        return pick(tried);
    }

    /**
     * As {@link #pick(HttpRequest, ClientAddress, BitSet)} at {@code now} ({@link System#nanoTime}),
     * the reading the caller already holds: ejections and slow starts are judged at that moment
     * rather than at another read of the clock.
     */
    default int pick(HttpRequest request, ClientAddress client, BitSet tried, long now) {
        return pick(request, client, tried);
    }

    /**
     * The selector to ask for every attempt of one request: indexes from {@link #pick} stay valid
     * for {@link #peers} and {@link #state} of the same pinned selector. This one itself unless its
     * targets can be replaced while a request runs ({@link UpstreamSelector}).
     */
    default TargetSelector pin() {
        return this;
    }

    /** The shared state of target {@code index}, or null when this selector keeps none. */
    default TargetState state(int index) {
        return null;
    }

    /**
     * Called once per request before the first pick: when the upstream hashes on a cookie the
     * request lacks, adds a new random one to the request and answers the {@code Set-Cookie}
     * value the response must carry; else null.
     */
    default String stickyCookie(HttpRequest request) {
        return null;
    }
}
