package dev.gatehouse.controller.translate;

/**
 * Typed reasons of the status conditions. Every reason is listed in docs/status.md with what
 * to do about it.
 */
public enum Reason {
    /** Accepted=True: the object is valid and part of the snapshot. */
    Accepted,
    /** Accepted=False: a field has a value the translator cannot use; the message names it. */
    Invalid,
    /** Accepted=False: another object claims the same thing (the same route match, the same key). */
    Conflict,
    /** ResolvedRefs=True: every reference was found. */
    ResolvedRefs,
    /** ResolvedRefs=False: a referenced object does not exist or is not accepted. */
    RefNotFound,
    /** ResolvedRefs=False: a reference points into another namespace. */
    RefNotPermitted,
    /** ResolvedRefs=False: a referenced Secret exists but cannot be used (label, data key). */
    InvalidSecret,
    /** Warning (Ingress): a backend names a Service, or a Service port, that does not exist. */
    BackendNotFound,
    /** Warning (Ingress): a backend of a kind Gatehouse cannot send traffic to (a resource backend). */
    InvalidKind,
    /** Warning (Ingress): a {@code gatehouse.dev/} annotation has a value Gatehouse cannot use; it is ignored. */
    InvalidAnnotation,
    /**
     * ResolvedRefs=False (a warning on an Ingress): the TLS Secret a route names is missing, is not of type
     * kubernetes.io/tls, cannot be read, holds a key that is not the certificate's, is expired, or
     * covers none of the route's hosts. The route is served over plain HTTP only, as Gateway API's
     * reason of the same name.
     */
    InvalidCertificateRef,
    /** A warning, shown with ResolvedRefs=True: some of the route's hosts are not among the certificate's SANs. */
    HostNotCovered,
    /** A warning, shown with ResolvedRefs=True: another route's Secret is served for a host of this route. */
    CertificateConflict,
    /** A warning, shown with ResolvedRefs=True: the certificate expires within 14 days. */
    CertificateExpiring,
    /** Programmed=True: every connected proxy applied the snapshot holding this generation. */
    Programmed,
    /** Programmed=False: not yet applied by every connected proxy, or no proxy is connected. */
    Pending,
    /** Programmed=False: a proxy refused the snapshot because of this object. */
    Rejected;

    /** Whether a warning of this reason is about a reference (and so makes ResolvedRefs false). */
    boolean isReference() {
        return this == BackendNotFound || this == InvalidKind || this == RefNotFound || this == RefNotPermitted
                || this == InvalidCertificateRef;
    }

    /** Whether a warning of this reason is a note about a certificate that still serves (shown with ResolvedRefs=True). */
    boolean isCertificateNote() {
        return this == HostNotCovered || this == CertificateConflict || this == CertificateExpiring;
    }
}
