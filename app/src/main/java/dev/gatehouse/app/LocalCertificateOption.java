package dev.gatehouse.app;

import dev.gatehouse.controller.translate.TlsSettings;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@value TlsSettings#FLAG} of {@code local} and {@code demo}: the default certificate, a Secret
 * of the directory (the controller has its own, for a Secret of the cluster). One definition, so
 * both commands read and check it alike.
 */
final class LocalCertificateOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = TlsSettings.FLAG, paramLabel = "NS/NAME",
            description = "A kubernetes.io/tls Secret of the directory (objects without a namespace are in default) served "
                    + "on the TLS port to clients that send no SNI name, or one no route's certificate is for. A missing or "
                    + "unusable Secret is reported (and fails --check); the rest is served. Default: none.")
    String defaultCertificate;

    /** The flag's value, checked: null when absent; a malformed one is a usage error naming the flag. */
    String value() {
        try {
            return TlsSettings.flagValue(defaultCertificate);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.commandLine(), e.getMessage());
        }
    }
}
