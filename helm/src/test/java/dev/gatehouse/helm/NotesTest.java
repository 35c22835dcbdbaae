package dev.gatehouse.helm;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.InstallCommand;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** templates/NOTES.txt, as a client-side dry-run install prints it. */
class NotesTest {

    static String notes(InstallCommand install) {
        String output = install.withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE)
                .dryRun().withDryRunOption(DryRun.CLIENT).clientOnly().call().getOutput();
        assertThat(output).contains("NOTES:");
        return output.substring(output.indexOf("NOTES:"));
    }

    @Test
    void clusterIpNotesPortForwardAndApplyTheExamplesFromTheRepository() {
        String notes = notes(Chart.helm().install());
        assertThat(notes)
                .contains("kubectl -n gatehouse-system port-forward service/gatehouse-proxy 8000:80")
                .contains("kubectl apply -f manifests/examples/")
                .contains("all namespaces")
                .doesNotContain("https://")
                .doesNotContain("loadBalancer");
    }

    @Test
    void loadBalancerNotesReadTheIngressAddress() {
        String notes = notes(Chart.helm().install().withValuesFile(Chart.NAMESPACED_VALUES));
        assertThat(notes)
                .contains("get service gatehouse-proxy -o jsonpath='{.status.loadBalancer.ingress[0].ip}")
                .contains("the namespaces team-a, team-b")
                .contains("kubectl apply -n team-a -f manifests/examples/")
                .doesNotContain("port-forward service/");
    }

    @Test
    void notesSayWhichIngressesAreServed() {
        assertThat(notes(Chart.helm().install())).contains("Ingresses of IngressClass gatehouse are served;",
                "curl -i -H 'Host: echo.example.com'").doesNotContain("it is the default");
        assertThat(notes(Chart.helm().install().set("ingress.isDefaultClass", true))).contains("(it is the default)");
        assertThat(notes(Chart.helm().install().set("ingress.enabled", false))).doesNotContain("Ingress");
    }

    @Test
    void nodePortNotesReadTheNodePort() {
        assertThat(notes(Chart.helm().install().set("proxy.service.type", "NodePort")))
                .contains("{.spec.ports[?(@.name==\"http\")].nodePort}");
    }

    @Test
    void notesSayWhenTheTokenSecretIsTheUsersToMake() {
        assertThat(notes(Chart.helm().install().set("channel.token.create", false)))
                .contains("create Secret gatehouse-channel-token");
    }
}
