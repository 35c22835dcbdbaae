package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.DefaultCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * Trouble with the controller's own settings that a translation finds (the default certificate,
 * the IngressClass of our name), logged once per change of it rather than at every rebuild. Logs
 * as the {@link Controller}; used by the rebuild thread only.
 */
final class ConfigNotes {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);
    private final IngressConfig ingress;
    private String classConflict;
    private String defaultCertificateMessage;

    ConfigNotes(IngressConfig ingress) {
        this.ingress = ingress;
    }

    /** Logs the default certificate's trouble once per change of it, naming the flag and the fix; never fails. */
    void defaultCertificate(DefaultCertificate dc) {
        String message = dc == null ? null : dc.message();
        if (Objects.equals(message, defaultCertificateMessage)) {
            return;
        }
        if (message != null) {
            log.warn("event=tls.default_certificate secret={} served={} problem=\"{}\"", dc.secret(), dc.served(),
                    message.replace('"', '\''));
        } else if (dc != null) {
            log.info("event=tls.default_certificate secret={} served=true", dc.secret());
        }
        defaultCertificateMessage = message;
    }

    /** Logs once when the IngressClass of our name belongs to another controller, and once when that ends. */
    void classConflict(ClusterState state) {
        String conflict = ingress.selection().conflict(state.ingressClasses());
        if (!Objects.equals(conflict, classConflict)) {
            if (conflict != null) {
                log.warn("event=ingress.class_conflict class={} problem=\"{}\"", ingress.className(), conflict);
            } else {
                log.info("event=ingress.class_resolved class={}", ingress.className());
            }
            classConflict = conflict;
        }
    }
}
