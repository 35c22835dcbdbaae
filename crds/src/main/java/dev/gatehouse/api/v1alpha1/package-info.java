/**
 * The Gatehouse API, group {@code gatehouse.dev}, version {@code v1alpha1}: Upstream,
 * GatewayService, GatewayRoute and Consumer. These classes are the single source of truth of
 * the CRDs: the Fabric8 CRD generator writes {@code crds/*.yml} from them at build time.
 *
 * <p>Spec classes are plain data carriers bound by Jackson (public fields, no logic). Boxed
 * types mean "absent": defaults are applied by the API server (from {@code @Default}) and again
 * by the translator, so files read in local mode behave the same.
 */
package dev.gatehouse.api.v1alpha1;
