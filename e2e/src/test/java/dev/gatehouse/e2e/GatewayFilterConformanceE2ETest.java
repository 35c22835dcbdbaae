package dev.gatehouse.e2e;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static dev.gatehouse.e2e.ExpectedResponse.get;

/**
 * The HTTPRoute filter and match cases of the upstream conformance suite (kubernetes-sigs/gateway-api
 * {@code conformance/tests}), ported like {@link GatewayConformanceE2ETest}: the manifests copied
 * unchanged, the requests and expectations of the matching {@code .go} file, checked against what
 * the echo backend received (path, Host, headers) and what the client got (status, headers,
 * {@code Location}). docs/gateway-api.md has the table.
 */
class GatewayFilterConformanceE2ETest extends ConformanceHarness {
    private static final String V1 = "infra-backend-v1";
    private static final String V2 = "infra-backend-v2";
    private static final String V3 = "infra-backend-v3";

    /** MakeRequestAndExpectEventuallyConsistentResponse for each, bounded. */
    void check(ExpectedResponse... all) throws InterruptedException {
        for (ExpectedResponse e : all) {
            String host = e.host == null ? "127.0.0.1:" + proxy.proxy.port() : e.host;
            Cluster.await(WITHIN, () -> {
                RawGet.Answer a = RawGet.request(proxy.proxy.port(), e.method, host, e.path, e.requestHeaderArray());
                String why = e.mismatch(a);
                return why == null ? null : why + " in\n" + a.headers() + "\n\n" + a.body();
            }, java.util.Objects::isNull, e.toString());
        }
    }

    @Test
    @DisplayName("HTTPRouteRequestHeaderModifier")
    void requestHeaderModifier() throws Exception {
        apply("httproute-request-header-modifier");
        accepted(INFRA, "request-header-modifier", "same-namespace");
        check(get("/set").header("Some-Other-Header", "val").backend(V1)
                        .seenHeader("Some-Other-Header", "val").seenHeader("X-Header-Set", "set-overwrites-values"),
                get("/set").header("Some-Other-Header", "val").header("X-Header-Set", "some-other-value").backend(V1)
                        .seenHeader("Some-Other-Header", "val").seenHeader("X-Header-Set", "set-overwrites-values"),
                get("/add").header("Some-Other-Header", "val").backend(V1)
                        .seenHeader("Some-Other-Header", "val").seenHeader("X-Header-Add", "add-appends-values"),
                get("/add").header("Some-Other-Header", "val").header("X-Header-Add", "some-other-value").backend(V1)
                        .seenHeader("Some-Other-Header", "val").seenHeader("X-Header-Add", "some-other-value,add-appends-values"),
                get("/remove").header("X-Header-Remove", "val").backend(V1).notSeen("X-Header-Remove"),
                get("/multiple").header("X-Header-Set-2", "set-val-2").header("X-Header-Add-2", "add-val-2")
                        .header("X-Header-Remove-2", "remove-val-2").header("Another-Header", "another-header-val").backend(V1)
                        .seenHeader("X-Header-Set-1", "header-set-1").seenHeader("X-Header-Set-2", "header-set-2")
                        .seenHeader("X-Header-Add-1", "header-add-1").seenHeader("X-Header-Add-2", "add-val-2,header-add-2")
                        .seenHeader("X-Header-Add-3", "header-add-3").seenHeader("Another-Header", "another-header-val")
                        .notSeen("X-Header-Remove-1", "X-Header-Remove-2"),
                get("/case-insensitivity").header("x-header-set", "original-val-set").header("x-header-add", "original-val-add")
                        .header("x-header-remove", "original-val-remove").header("Another-Header", "another-header-val")
                        .backend(V1).seenHeader("X-Header-Set", "header-set").seenHeader("X-Header-Add", "original-val-add,header-add")
                        .seenHeader("Another-Header", "another-header-val").notSeen("x-header-remove", "X-Header-Remove"));
    }

    @Test
    @DisplayName("HTTPRouteResponseHeaderModifier")
    void responseHeaderModifier() throws Exception {
        apply("httproute-response-header-modifier");
        accepted(INFRA, "response-header-modifier", "same-namespace");
        check(get("/set").backendSets("Some-Other-Header", "val").backend(V1)
                        .responseHeader("Some-Other-Header", "val").responseHeader("X-Header-Set", "set-overwrites-values"),
                get("/set").backendSets("Some-Other-Header", "val").backendSets("X-Header-Set", "some-other-value").backend(V1)
                        .responseHeader("Some-Other-Header", "val").responseHeader("X-Header-Set", "set-overwrites-values"),
                get("/add").backendSets("Some-Other-Header", "val").backend(V1)
                        .responseHeader("Some-Other-Header", "val").responseHeader("X-Header-Add", "add-appends-values"),
                get("/add").backendSets("Some-Other-Header", "val").backendSets("X-Header-Add", "some-other-value").backend(V1)
                        .responseHeader("Some-Other-Header", "val")
                        .responseHeader("X-Header-Add", "some-other-value,add-appends-values"),
                get("/remove").backendSets("X-Header-Remove", "val").backend(V1).noResponseHeader("X-Header-Remove"),
                get("/multiple").backendSets("X-Header-Set-2", "set-val-2").backendSets("X-Header-Add-2", "add-val-2")
                        .backendSets("X-Header-Remove-2", "remove-val-2").backendSets("Another-Header", "another-header-val")
                        .backendSets("X-Header-Remove-1", "val").backend(V1)
                        .responseHeader("X-Header-Set-1", "header-set-1").responseHeader("X-Header-Set-2", "header-set-2")
                        .responseHeader("X-Header-Add-1", "header-add-1").responseHeader("X-Header-Add-2", "add-val-2,header-add-2")
                        .responseHeader("X-Header-Add-3", "header-add-3").responseHeader("Another-Header", "another-header-val")
                        .noResponseHeader("X-Header-Remove-1", "X-Header-Remove-2"),
                get("/case-insensitivity").backendSets("x-header-set", "original-val-set")
                        .backendSets("x-header-add", "original-val-add").backendSets("x-header-remove", "original-val-remove")
                        .backendSets("Another-Header", "another-header-val").backend(V1)
                        .responseHeader("X-Header-Set", "header-set").responseHeader("X-Header-Add", "original-val-add,header-add")
                        .responseHeader("X-Lowercase-Add", "lowercase-add").responseHeader("X-Mixedcase-Add-1", "mixedcase-add-1")
                        .responseHeader("X-Mixedcase-Add-2", "mixedcase-add-2").responseHeader("X-Uppercase-Add", "uppercase-add")
                        .responseHeader("Another-Header", "another-header-val").noResponseHeader("x-header-remove", "X-Header-Remove"),
                get("/response-and-request-header-modifiers").header("X-Header-Remove", "remove-val")
                        .header("X-Header-Add-Append", "append-val-1").header("X-Header-Echo", "echo")
                        .backendSets("X-Header-Set-2", "set-val-2").backendSets("X-Header-Add-2", "add-val-2")
                        .backendSets("X-Header-Remove-2", "remove-val-2").backendSets("Another-Header", "another-header-val")
                        .backendSets("X-Header-Remove-1", "remove-val-1").backendSets("X-Header-Echo", "echo").backend(V1)
                        .seenHeader("X-Header-Add", "header-val-1").seenHeader("X-Header-Set", "set-overwrites-values")
                        .seenHeader("X-Header-Add-Append", "append-val-1,header-val-2").seenHeader("X-Header-Echo", "echo")
                        .notSeen("X-Header-Remove")
                        .responseHeader("X-Header-Set-1", "header-set-1").responseHeader("X-Header-Set-2", "header-set-2")
                        .responseHeader("X-Header-Add-1", "header-add-1").responseHeader("X-Header-Add-2", "add-val-2,header-add-2")
                        .responseHeader("Another-Header", "another-header-val").responseHeader("X-Header-Echo", "echo")
                        .noResponseHeader("X-Header-Remove-1", "X-Header-Remove-2"));
    }

    @Test
    @DisplayName("HTTPRouteRedirectHostAndStatus")
    void redirectHostAndStatus() throws Exception {
        apply("httproute-redirect-host-and-status");
        accepted(INFRA, "redirect-host-and-status", "same-namespace");
        check(get("/hostname-redirect").redirect(302, null, "example.org", null, null),
                get("/host-and-status").redirect(301, null, "example.org", null, null));
    }

    @Test
    @DisplayName("HTTPRouteRedirectPath")
    void redirectPath() throws Exception {
        apply("httproute-redirect-path");
        accepted(INFRA, "redirect-path", "same-namespace");
        check(get("/original-prefix/lemon").redirect(302, null, null, null, "/replacement-prefix/lemon"),
                get("/full/path/original").redirect(302, null, null, null, "/full-path-replacement"),
                get("/path-and-host").redirect(302, null, "example.org", null, "/replacement-prefix"),
                get("/path-and-status").redirect(301, null, null, null, "/replacement-prefix"),
                get("/full-path-and-host").redirect(302, null, "example.org", null, "/replacement-full"),
                get("/full-path-and-status").redirect(301, null, null, null, "/replacement-full"));
    }

    @Test
    @DisplayName("HTTPRouteRedirectPort")
    void redirectPort() throws Exception {
        apply("httproute-redirect-port");
        accepted(INFRA, "redirect-port", "same-namespace");
        check(get("/port").redirect(302, null, null, "8083", null),
                get("/port-and-host").redirect(302, null, "example.org", "8083", null),
                get("/port-and-status").redirect(301, null, null, "8083", null),
                get("/port-and-host-and-status").redirect(302, null, "example.org", "8083", null));
    }

    @Test
    @DisplayName("HTTPRouteRedirectScheme")
    void redirectScheme() throws Exception {
        apply("httproute-redirect-scheme");
        accepted(INFRA, "redirect-scheme", "same-namespace");
        check(get("/scheme").redirect(302, "https", null, null, null),
                get("/scheme-and-host").redirect(302, "https", "example.org", null, null),
                get("/scheme-and-status").redirect(301, "https", null, null, null),
                get("/scheme-and-host-and-status").redirect(302, "https", "example.org", null, null));
    }

    @Test
    @DisplayName("HTTPRoute303Redirect, HTTPRoute307Redirect, HTTPRoute308Redirect")
    void redirectStatuses() throws Exception {
        apply("httproute-303-redirect");
        apply("httproute-307-redirect");
        apply("httproute-308-redirect");
        accepted(INFRA, "303-redirect", "same-namespace");
        accepted(INFRA, "307-redirect", "same-namespace");
        accepted(INFRA, "308-redirect", "same-namespace");
        check(get("/see-other").method("POST").redirect(303, null, null, null, "/see-other"),
                get("/temporary").redirect(307, null, null, null, "/temporary"),
                get("/permanent").redirect(308, null, null, null, "/permanent"));
    }

    @Test
    @DisplayName("HTTPRouteRewriteHost")
    void rewriteHost() throws Exception {
        apply("httproute-rewrite-host");
        accepted(INFRA, "rewrite-host", "same-namespace");
        check(get("/one").host("rewrite.example").backend(V1).seenHost("one.example.org"),
                get("/two").host("rewrite.example").backend(V2).seenHost("example.org"),
                get("/rewrite-host-and-modify-headers").host("rewrite.example").header("X-Header-Remove", "remove-val")
                        .header("X-Header-Add-Append", "append-val-1").backend(V2).seenHost("test.example.org")
                        .seenHeader("X-Header-Add", "header-val-1").seenHeader("X-Header-Add-Append", "append-val-1,header-val-2")
                        .seenHeader("X-Header-Set", "set-overwrites-values").notSeen("X-Header-Remove"));
    }

    @Test
    @DisplayName("HTTPRouteRewritePath")
    void rewritePath() throws Exception {
        apply("httproute-rewrite-path");
        accepted(INFRA, "rewrite-path", "same-namespace");
        check(get("/prefix/one/two").backend(V1).seenPath("/one/two"),
                get("/strip-prefix/three").backend(V1).seenPath("/three"),
                get("/strip-prefix").backend(V1).seenPath("/"),
                get("/full/one/two").backend(V1).seenPath("/one"),
                get("/full/rewrite-path-and-modify-headers/test").header("X-Header-Remove", "remove-val")
                        .header("X-Header-Add-Append", "append-val-1").header("X-Header-Set", "set-val").backend(V1)
                        .seenPath("/test").seenHeader("X-Header-Add", "header-val-1")
                        .seenHeader("X-Header-Add-Append", "append-val-1,header-val-2")
                        .seenHeader("X-Header-Set", "set-overwrites-values").notSeen("X-Header-Remove"),
                get("/prefix/rewrite-path-and-modify-headers/one").header("X-Header-Remove", "remove-val")
                        .header("X-Header-Add-Append", "append-val-1").header("X-Header-Set", "set-val").backend(V1)
                        .seenPath("/prefix/one").seenHeader("X-Header-Add", "header-val-1")
                        .seenHeader("X-Header-Add-Append", "append-val-1,header-val-2")
                        .seenHeader("X-Header-Set", "set-overwrites-values").notSeen("X-Header-Remove"));
    }

    @Test
    @DisplayName("HTTPRouteQueryParamMatching")
    void queryParamMatching() throws Exception {
        apply("httproute-query-param-matching");
        accepted(INFRA, "query-param-matching", "same-namespace");
        check(get("/?animal=whale").backend(V1), get("/?animal=dolphin").backend(V2),
                get("/?animal=dolphin&color=blue").backend(V3), get("/?ANIMAL=Whale").backend(V3),
                get("/?animal=whale&otherparam=irrelevant").backend(V1), get("/?animal=dolphin&color=yellow").backend(V2),
                get("/?color=blue").status(404), get("/?animal=dog").status(404), get("/?animal=whaledolphin").status(404),
                get("/").status(404),
                get("/path1?animal=whale").backend(V1), get("/?animal=whale").header("version", "one").backend(V2),
                get("/path2?animal=whale").header("version", "two").backend(V3),
                get("/path3?animal=shark").backend(V1), get("/path4?animal=kraken").header("version", "three").backend(V1),
                get("/?animal=shark").status(404), get("/path4?animal=kraken").status(404),
                get("/path5?animal=hydra").backend(V1), get("/?animal=hydra").header("version", "four").backend(V3));
    }

    @Test
    @DisplayName("HTTPRouteMethodMatching")
    void methodMatching() throws Exception {
        apply("httproute-method-matching");
        accepted(INFRA, "method-matching", "same-namespace");
        check(get("/").method("POST").backend(V1), get("/").method("GET").backend(V2), get("/").method("HEAD").status(404),
                get("/path1").method("GET").backend(V1), get("/").method("PUT").header("version", "one").backend(V2),
                get("/path2").method("POST").header("version", "two").backend(V3),
                get("/path3").method("PATCH").backend(V1), get("/path4").method("DELETE").header("version", "three").backend(V1),
                get("/").method("PUT").status(404), get("/path4").method("DELETE").status(404),
                get("/path5").method("PATCH").backend(V1), get("/").method("PATCH").header("version", "four").backend(V2));
    }
}
