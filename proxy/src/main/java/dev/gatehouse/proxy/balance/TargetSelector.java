package dev.gatehouse.proxy.balance;

import io.netty.channel.Channel;
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
     * As {@link #pick(BitSet)}, for {@code request} (as it goes upstream) from {@code client};
     * algorithms that hash on the request read it here.
     */
    default int pick(HttpRequest request, Channel client, BitSet tried) {
        return pick(tried);
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
