package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** What the chart renders, with default values and with the namespaced, autoscaled set. */
class RenderedObjectsTest {
    static List<HasMetadata> defaults;
    static List<HasMetadata> namespaced;

    @BeforeAll
    static void render() {
        defaults = Chart.parse(Chart.renderDefault());
        namespaced = Chart.parse(Chart.renderNamespaced());
    }

    static Deployment controller(List<HasMetadata> objects) {
        return Chart.one(objects, Deployment.class, "gatehouse-controller");
    }

    static Deployment proxy(List<HasMetadata> objects) {
        return Chart.one(objects, Deployment.class, "gatehouse-proxy");
    }

    static Stream<List<HasMetadata>> bothRenders() {
        return Stream.of(defaults, namespaced);
    }

    @Test
    void everyNamespacedObjectIsInTheReleaseNamespaceOrAWatchedOne() {
        assertThat(defaults).extracting(o -> o.getMetadata().getNamespace())
                .containsOnly("gatehouse-system", null);
        assertThat(namespaced).extracting(o -> o.getMetadata().getNamespace())
                .containsOnly("gatehouse-system", "team-a", "team-b", null);
        assertThat(namespaced).filteredOn(o -> o.getMetadata().getNamespace() == null)
                .as("cluster-scoped in namespaced mode: only what IngressClasses and the Gateway API need")
                .extracting(HasMetadata::getKind, o -> o.getMetadata().getName()).containsExactlyInAnyOrder(
                        tuple("IngressClass", "gatehouse"),
                        tuple("ClusterRole", "gatehouse-controller-gatehouse-system-ingressclasses"),
                        tuple("ClusterRoleBinding", "gatehouse-controller-gatehouse-system-ingressclasses"),
                        tuple("ClusterRole", "gatehouse-controller-gatehouse-system-gatewayapi"),
                        tuple("ClusterRoleBinding", "gatehouse-controller-gatehouse-system-gatewayapi"));
    }

    @Test
    void defaultInstallHasTheExpectedObjects() {
        assertThat(defaults).extracting(HasMetadata::getKind, o -> o.getMetadata().getName()).containsExactlyInAnyOrder(
                tuple("ServiceAccount", "gatehouse-controller"),
                tuple("ServiceAccount", "gatehouse-proxy"),
                tuple("Secret", "gatehouse-channel-token"),
                tuple("Secret", "gatehouse-channel-tls"),
                tuple("NetworkPolicy", "gatehouse-controller"),
                tuple("ClusterRole", "gatehouse-controller-gatehouse-system"),
                tuple("ClusterRoleBinding", "gatehouse-controller-gatehouse-system"),
                tuple("ClusterRole", "gatehouse-controller-gatehouse-system-ingressclasses"),
                tuple("ClusterRoleBinding", "gatehouse-controller-gatehouse-system-ingressclasses"),
                tuple("ClusterRole", "gatehouse-controller-gatehouse-system-gatewayapi"),
                tuple("ClusterRoleBinding", "gatehouse-controller-gatehouse-system-gatewayapi"),
                tuple("IngressClass", "gatehouse"),
                tuple("Role", "gatehouse-controller-leader-election"),
                tuple("RoleBinding", "gatehouse-controller-leader-election"),
                tuple("Service", "gatehouse-channel"),
                tuple("Service", "gatehouse-proxy"),
                tuple("Deployment", "gatehouse-controller"),
                tuple("Deployment", "gatehouse-proxy"));
    }

    @Test
    void controllerRunsTwoReplicasWithLeaderElectionAndSpreadsThemOverNodes() {
        Deployment controller = controller(defaults);
        assertThat(controller.getSpec().getReplicas()).isEqualTo(2);
        Container c = only(controller);
        assertThat(c.getArgs()).containsExactly("controller", "--channel-port", "18000",
                "--token-file", "/etc/gatehouse/token/token",
                "--tls-cert", "/etc/gatehouse/channel-tls/tls.crt", "--tls-key", "/etc/gatehouse/channel-tls/tls.key",
                "--status-port", "8100",
                "--ingress-class", "gatehouse", "--publish-service", "gatehouse-system/gatehouse-proxy",
                "--gateway-controller-name", "gatehouse.dev/gateway-controller", "--gateway-http-port", "80", "--gateway-https-port", "443");
        assertThat(c.getEnv()).extracting(e -> e.getName(),
                        e -> e.getValueFrom() == null ? e.getValue() : e.getValueFrom().getFieldRef().getFieldPath())
                .containsExactlyInAnyOrder(tuple("POD_NAMESPACE", "metadata.namespace"), tuple("POD_NAME", "metadata.name"),
                        tuple("JDK_JAVA_OPTIONS", TuningChartTest.DEFAULT_JAVA_OPTS));
        List<WeightedPodAffinityTerm> preferred = controller.getSpec().getTemplate().getSpec().getAffinity()
                .getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
        assertThat(preferred).hasSize(1);
        assertThat(preferred.get(0).getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname");
        assertThat(preferred.get(0).getPodAffinityTerm().getLabelSelector().getMatchLabels())
                .isEqualTo(controller.getSpec().getSelector().getMatchLabels());
        assertThat(controller.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("gatehouse-controller");
        assertThat(controller.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isTrue();
    }

    @Test
    void namespacedModePassesEachNamespaceToTheController() {
        assertThat(only(controller(namespaced)).getArgs()).containsExactly("controller",
                "--namespace", "team-a", "--namespace", "team-b", "--channel-port", "18000",
                "--token-file", "/etc/gatehouse/token/token",
                "--tls-cert", "/etc/gatehouse/channel-tls/tls.crt", "--tls-key", "/etc/gatehouse/channel-tls/tls.key",
                "--status-port", "8100",
                "--ingress-class", "gatehouse", "--publish-service", "gatehouse-system/gatehouse-proxy",
                "--gateway-controller-name", "gatehouse.dev/gateway-controller", "--gateway-http-port", "80", "--gateway-https-port", "443");
    }

    @Test
    void proxyDialsTheChannelServiceAndNeverTheKubernetesApi() {
        Deployment proxy = proxy(defaults);
        assertThat(proxy.getSpec().getReplicas()).isEqualTo(2);
        assertThat(only(proxy).getArgs()).containsExactly("proxy",
                "--controller", "wss://gatehouse-channel.gatehouse-system.svc:18000",
                "--token-file", "/etc/gatehouse/token/token", "--ca-file", "/etc/gatehouse/channel-ca/ca.crt",
                "--port", "8000", "--tls-port", "8443", "--https-redirect-port", "443", "--tls-provider", "auto",
                "--transport", "auto", "--status-port", "8100",
                "--status-address", "$(POD_IP),127.0.0.1", "--state-dir", "/var/lib/gatehouse",
                "--drain-delay", "5s", "--drain-timeout", "30s", "--access-log", "stdout");
        PodSpec pod = proxy.getSpec().getTemplate().getSpec();
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getServiceAccountName()).isEqualTo("gatehouse-proxy");
        assertThat(Chart.one(defaults, ServiceAccount.class, "gatehouse-proxy").getAutomountServiceAccountToken()).isFalse();

        Service channel = Chart.one(defaults, Service.class, "gatehouse-channel");
        assertThat(channel.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(channel.getSpec().getPorts()).extracting(p -> p.getPort(), p -> p.getTargetPort().getStrVal())
                .containsExactly(tuple(18000, "channel"));
        assertThat(channel.getSpec().getSelector()).isEqualTo(controller(defaults).getSpec().getSelector().getMatchLabels());
        assertThat(only(controller(defaults)).getPorts()).extracting(p -> p.getName(), p -> p.getContainerPort())
                .contains(tuple("channel", 18000));
    }

    @Test
    void everyContainerMeetsPodSecurityRestricted() {
        bothRenders().flatMap(objects -> Chart.ofKind(objects, Deployment.class).stream()).forEach(d -> {
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            PodSecurityContext podContext = pod.getSecurityContext();
            assertThat(podContext.getRunAsNonRoot()).as(d.getMetadata().getName()).isTrue();
            assertThat(podContext.getRunAsUser()).isEqualTo(10001L);
            assertThat(podContext.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(pod.getHostNetwork()).isNull();
            assertThat(pod.getHostPID()).isNull();
            assertThat(pod.getHostIPC()).isNull();
            assertThat(pod.getVolumes()).as("only secret and emptyDir volumes").allSatisfy(v ->
                    assertThat(v.getSecret() != null || v.getEmptyDir() != null).as(v.getName()).isTrue());
            assertThat(pod.getInitContainers()).isEmpty();
            for (Container c : pod.getContainers()) {
                SecurityContext sc = c.getSecurityContext();
                String what = d.getMetadata().getName() + "/" + c.getName();
                assertThat(sc.getRunAsNonRoot()).as(what).isTrue();
                assertThat(sc.getRunAsUser()).as(what).isEqualTo(10001L);
                assertThat(sc.getReadOnlyRootFilesystem()).as(what).isTrue();
                assertThat(sc.getAllowPrivilegeEscalation()).as(what).isFalse();
                assertThat(sc.getPrivileged()).as(what).isFalse();
                assertThat(sc.getCapabilities().getDrop()).as(what).containsExactly("ALL");
                assertThat(sc.getCapabilities().getAdd()).as(what).isEmpty();
                assertThat(sc.getSeccompProfile().getType()).as(what).isEqualTo("RuntimeDefault");
                assertThat(c.getPorts()).as(what).allSatisfy(p -> assertThat(p.getHostPort()).isNull());
                assertThat(mountPath(d, c, "tmp")).as(what + " writable /tmp").isEqualTo("/tmp");
                assertThat(volume(d, "tmp").getEmptyDir()).as(what).isNotNull();
            }
        });
        Deployment proxy = proxy(defaults);
        assertThat(mountPath(proxy, only(proxy), "state")).isEqualTo("/var/lib/gatehouse");
        assertThat(volume(proxy, "state").getEmptyDir()).isNotNull();
    }

    @Test
    void probesHitTheStatusPort() {
        bothRenders().flatMap(objects -> Chart.ofKind(objects, Deployment.class).stream()).forEach(d -> {
            Container c = only(d);
            assertThat(c.getPorts()).extracting(p -> p.getName(), p -> p.getContainerPort()).contains(tuple("status", 8100));
            assertProbe(c.getLivenessProbe(), "/healthz");
            assertProbe(c.getStartupProbe(), "/healthz");
            assertProbe(c.getReadinessProbe(), "/readyz");
        });
    }

    static void assertProbe(Probe probe, String path) {
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("status");
    }

    @Test
    void theChannelTokenIsMountedInBothDeployments() {
        Secret token = Chart.one(defaults, Secret.class, "gatehouse-channel-token");
        String value = new String(Base64.getDecoder().decode(token.getData().get("token")), StandardCharsets.UTF_8);
        assertThat(value).hasSize(48).matches("[A-Za-z0-9]+");
        bothRenders().flatMap(objects -> Chart.ofKind(objects, Deployment.class).stream()).forEach(d -> {
            Volume v = volume(d, "channel-token");
            assertThat(v.getSecret().getSecretName()).isEqualTo("gatehouse-channel-token");
            assertThat(v.getSecret().getItems()).extracting(i -> i.getKey(), i -> i.getPath()).containsExactly(tuple("token", "token"));
            VolumeMount mount = only(d).getVolumeMounts().stream().filter(m -> m.getName().equals("channel-token")).findFirst().orElseThrow();
            assertThat(mount.getMountPath()).isEqualTo("/etc/gatehouse/token");
            assertThat(mount.getReadOnly()).isTrue();
            assertThat(only(d).getArgs()).containsSequence("--token-file", "/etc/gatehouse/token/token");
        });
    }

    @Test
    void anUpgradeKeepsTheTokenFoundInTheCluster() {
        FakeKubeApi api = FakeKubeApi.start();
        api.putSecret("gatehouse-system", "gatehouse-channel-token", "kept-from-the-first-install");
        try {
            Secret token = Chart.one(Chart.parse(Chart.renderDefault()), Secret.class, "gatehouse-channel-token");
            assertThat(new String(Base64.getDecoder().decode(token.getData().get("token")), StandardCharsets.UTF_8))
                    .isEqualTo("kept-from-the-first-install");
        } finally {
            api.removeSecret("gatehouse-system", "gatehouse-channel-token");
        }
    }

    @Test
    void anExistingTokenSecretCanBeUsedInstead() {
        List<HasMetadata> objects = Chart.parse(Chart.template()
                .set("channel.token.create", false).set("channel.token.secretName", "my-token").call());
        assertThat(Chart.ofKind(objects, Secret.class)).extracting(o -> o.getMetadata().getName())
                .as("no token Secret").containsExactly("gatehouse-channel-tls");
        assertThat(Chart.ofKind(objects, Deployment.class)).allSatisfy(d ->
                assertThat(volume(d, "channel-token").getSecret().getSecretName()).isEqualTo("my-token"));
    }

    @Test
    void proxyServiceMapsPort80ToTheProxysHttpPortAnd443ToItsTlsPort() {
        Service service = Chart.one(defaults, Service.class, "gatehouse-proxy");
        assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getName(), p -> p.getPort(), p -> p.getTargetPort().getStrVal())
                .containsExactly(tuple("http", 80, "http"), tuple("https", 443, "https"));
        assertThat(only(proxy(defaults)).getPorts()).extracting(p -> p.getName(), p -> p.getContainerPort())
                .contains(tuple("http", 8000), tuple("https", 8443));
        assertThat(only(proxy(defaults)).getArgs()).containsSequence("--tls-port", "8443")
                .as("redirects name the Service's port, not the container's").containsSequence("--https-redirect-port", "443");
        assertThat(service.getSpec().getSelector()).isEqualTo(proxy(defaults).getSpec().getSelector().getMatchLabels());
        assertThat(service.getMetadata().getAnnotations()).isEmpty();
    }

    @Test
    void loadBalancerServiceCarriesItsAnnotations() {
        Service service = Chart.one(namespaced, Service.class, "gatehouse-proxy");
        assertThat(service.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(service.getMetadata().getAnnotations())
                .containsExactly(Map.entry("service.beta.kubernetes.io/aws-load-balancer-type", "nlb"));
    }

    @Test
    void nodePortIsFixedWhenGiven() {
        Service service = Chart.one(Chart.parse(Chart.template().set("proxy.service.type", "NodePort")
                .set("proxy.service.nodePorts.http", 30080).call()), Service.class, "gatehouse-proxy");
        assertThat(service.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30080);
    }

    @Test
    void autoscalingAndDisruptionBudgetOnlyWhenEnabled() {
        assertThat(Chart.ofKind(defaults, HorizontalPodAutoscaler.class)).isEmpty();
        assertThat(Chart.ofKind(defaults, PodDisruptionBudget.class)).isEmpty();

        HorizontalPodAutoscaler hpa = Chart.one(namespaced, HorizontalPodAutoscaler.class, "gatehouse-proxy");
        assertThat(hpa.getApiVersion()).isEqualTo("autoscaling/v2");
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("gatehouse-proxy");
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(3);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(12);
        assertThat(hpa.getSpec().getMetrics().get(0).getResource().getName()).isEqualTo("cpu");
        assertThat(hpa.getSpec().getMetrics().get(0).getResource().getTarget().getAverageUtilization()).isEqualTo(70);
        assertThat(proxy(namespaced).getSpec().getReplicas()).as("the HPA owns replicas").isNull();

        PodDisruptionBudget pdb = Chart.one(namespaced, PodDisruptionBudget.class, "gatehouse-proxy");
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(2);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(proxy(namespaced).getSpec().getSelector().getMatchLabels());
    }

    @Test
    void podsCarryPrometheusAnnotationsAndResources() {
        for (Deployment d : Chart.ofKind(defaults, Deployment.class)) {
            assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).containsOnly(
                    Map.entry("prometheus.io/scrape", "true"), Map.entry("prometheus.io/port", "8100"),
                    Map.entry("prometheus.io/path", "/metrics"));
            assertThat(only(d).getResources().getRequests()).containsKeys("cpu", "memory");
            assertThat(only(d).getResources().getLimits()).containsKey("memory");
        }
        List<HasMetadata> off = Chart.parse(Chart.template().set("metrics.enabled", false).call());
        assertThat(Chart.ofKind(off, Deployment.class))
                .allSatisfy(d -> assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).isEmpty());
    }

    @Test
    void theAccessLogCanBeTurnedOffOrSentToAFile() {
        assertThat(only(proxy(Chart.parse(Chart.template().set("proxy.accessLog", "off").call()))).getArgs())
                .endsWith("--access-log", "off");
        assertThat(only(proxy(Chart.parse(Chart.template().set("proxy.accessLog", "/tmp/access.log").call()))).getArgs())
                .endsWith("--access-log", "/tmp/access.log");
    }

    @Test
    void imageDefaultsToTheAppVersionAndCanBeOverridden() {
        assertThat(Chart.ofKind(defaults, Deployment.class)).allSatisfy(d -> {
            assertThat(only(d).getImage()).isEqualTo("ghcr.io/gatehouse-dev/gatehouse:0.1.0");
            assertThat(only(d).getImagePullPolicy()).isEqualTo("IfNotPresent");
        });
        List<HasMetadata> custom = Chart.parse(Chart.template().set("image.repository", "registry.example/gatehouse")
                .set("image.tag", "0.1.1").set("image.pullPolicy", "Always").call());
        assertThat(Chart.ofKind(custom, Deployment.class)).allSatisfy(d -> {
            assertThat(only(d).getImage()).isEqualTo("registry.example/gatehouse:0.1.1");
            assertThat(only(d).getImagePullPolicy()).isEqualTo("Always");
        });
    }

    @Test
    void schedulingValuesReachThePods() {
        List<HasMetadata> custom = Chart.parse(Chart.template()
                .set("proxy.nodeSelector.role", "edge")
                .set("controller.replicas", 3)
                .set("proxy.replicas", 4).call());
        assertThat(proxy(custom).getSpec().getTemplate().getSpec().getNodeSelector()).containsEntry("role", "edge");
        assertThat(controller(custom).getSpec().getReplicas()).isEqualTo(3);
        assertThat(proxy(custom).getSpec().getReplicas()).isEqualTo(4);
    }

    @Test
    void anotherReleaseNameRenamesEverythingConsistently() {
        List<HasMetadata> objects = Chart.parse(Chart.helm().template().withName("edge").withNamespace("ingress").call());
        assertThat(objects).filteredOn(o -> !(o instanceof IngressClass)).extracting(o -> o.getMetadata().getName())
                .allMatch(n -> n.startsWith("edge-gatehouse-"));
        assertThat(only(Chart.one(objects, Deployment.class, "edge-gatehouse-controller")).getArgs())
                .as("the class is the user's name for it, not the release's").contains("--ingress-class", "gatehouse")
                .contains("--publish-service", "ingress/edge-gatehouse-proxy");
        Deployment proxy = Chart.one(objects, Deployment.class, "edge-gatehouse-proxy");
        Deployment controller = Chart.one(objects, Deployment.class, "edge-gatehouse-controller");
        assertThat(only(proxy).getArgs()).contains("wss://edge-gatehouse-channel.ingress.svc:18000");
        Chart.one(objects, Secret.class, "edge-gatehouse-channel-tls");
        assertThat(Chart.one(objects, Service.class, "edge-gatehouse-channel").getSpec().getSelector())
                .isEqualTo(controller.getSpec().getSelector().getMatchLabels());
        Chart.one(objects, Secret.class, "edge-gatehouse-channel-token");
        for (Deployment d : List.of(proxy, controller)) {
            assertThat(volume(d, "channel-token").getSecret().getSecretName()).isEqualTo("edge-gatehouse-channel-token");
        }
        assertThat(controller.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("edge-gatehouse-controller");
        assertThat(proxy.getSpec().getSelector().getMatchLabels())
                .containsEntry("app.kubernetes.io/instance", "edge").containsEntry("app.kubernetes.io/component", "proxy");
    }

    @Test
    void everyValueSetAtOnceRendersValidObjects() {
        List<HasMetadata> objects = Chart.parse(Chart.template()
                .withValuesFile(java.nio.file.Path.of("src/test/resources/values-everything.yaml")).call());
        assertThat(Chart.ofKind(objects, Secret.class)).isEmpty();
        Deployment controller = Chart.one(objects, Deployment.class, "edge-controller");
        Deployment proxy = Chart.one(objects, Deployment.class, "edge-proxy");
        for (Deployment d : List.of(controller, proxy)) {
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            assertThat(only(d).getImage()).isEqualTo("registry.example/gatehouse:0.1.0-rc1");
            assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("regcred");
            assertThat(pod.getTolerations()).hasSize(1);
            assertThat(pod.getNodeSelector()).hasSize(1);
            assertThat(volume(d, "channel-token").getSecret().getSecretName()).isEqualTo("edge-token");
            assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
                    .containsEntry("prometheus.io/path", "/prometheus").containsKey("team");
            assertThat(d.getSpec().getSelector().getMatchLabels()).containsEntry("app.kubernetes.io/name", "gh");
        }
        assertThat(controller.getSpec().getReplicas()).isEqualTo(3);
        assertThat(controller.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity())
                .as("a given affinity replaces the default").isNull();
        assertThat(proxy.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()).hasSize(1);
        assertThat(only(proxy).getArgs()).contains("wss://edge-channel.gatehouse-system.svc:18000");
        assertThat(volume(proxy, "channel-ca").getSecret().getSecretName()).isEqualTo("edge-tls");
        assertThat(volume(controller, "channel-tls").getSecret().getSecretName()).isEqualTo("edge-tls");
        assertThat(Chart.one(objects, io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class, "edge-controller")
                .getSpec().getIngress().get(1).getFrom()).hasSize(1);
        Service service = Chart.one(objects, Service.class, "edge-proxy");
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getPort(), p -> p.getNodePort())
                .containsExactly(tuple(8080, 30080), tuple(8444, 30443));
        assertThat(Chart.one(objects, PodDisruptionBudget.class, "edge-proxy").getSpec().getMinAvailable().getStrVal())
                .isEqualTo("50%");
        assertThat(Chart.one(objects, HorizontalPodAutoscaler.class, "edge-proxy").getSpec().getMinReplicas()).isEqualTo(4);
        assertThat(Chart.one(objects, IngressClass.class, "edge-class").getMetadata().getAnnotations())
                .containsEntry("ingressclass.kubernetes.io/is-default-class", "true");
        assertThat(only(controller).getArgs()).containsSequence("--ingress-class", "edge-class")
                .containsSequence("--publish-service", "gatehouse-system/edge-proxy")
                .containsSequence("--publish-address", "lb.example.com");
    }

    @Test
    void theIngressClassIsInstalledNotDefaultAndTheControllerServesIt() {
        IngressClass ic = Chart.one(defaults, IngressClass.class, "gatehouse");
        assertThat(ic.getSpec().getController()).isEqualTo("gatehouse.dev/ingress-controller");
        assertThat(ic.getMetadata().getAnnotations()).as("not the default unless asked").isNullOrEmpty();
        assertThat(ic.getMetadata().getNamespace()).isNull();

        List<HasMetadata> custom = Chart.parse(Chart.template().set("ingress.className", "edge").set("ingress.isDefaultClass", true)
                .set("ingress.publishAddresses[0]", "lb.example.com").set("ingress.publishAddresses[1]", "203.0.113.7").call());
        IngressClass edge = Chart.one(custom, IngressClass.class, "edge");
        assertThat(edge.getMetadata().getAnnotations()).containsEntry("ingressclass.kubernetes.io/is-default-class", "true");
        assertThat(only(controller(custom)).getArgs()).containsSequence("--ingress-class", "edge")
                .containsSequence("--publish-address", "lb.example.com,203.0.113.7");

        List<HasMetadata> existing = Chart.parse(Chart.template().set("ingress.createClass", false).call());
        assertThat(Chart.ofKind(existing, IngressClass.class)).as("createClass=false").isEmpty();
        assertThat(only(controller(existing)).getArgs()).containsSequence("--ingress-class", "gatehouse");
    }

    @Test
    void ingressSupportCanBeTurnedOffWithItsClassAndPermissions() {
        List<HasMetadata> off = Chart.parse(Chart.template().set("ingress.enabled", false).call());
        assertThat(Chart.ofKind(off, IngressClass.class)).isEmpty();
        assertThat(only(controller(off)).getArgs()).contains("--no-ingress").doesNotContain("--ingress-class")
                .as("the published address still serves Gateway status").contains("--publish-service");
        assertThat(RbacTest.allRules(off)).noneMatch(r -> r.getApiGroups().contains("networking.k8s.io"));
        assertThat(Chart.ofKind(off, io.fabric8.kubernetes.api.model.rbac.ClusterRole.class))
                .extracting(r -> r.getMetadata().getName()).doesNotContain(RbacTest.CLASS_READER).hasSize(2);
    }

    static Container only(Deployment d) {
        assertThat(d.getSpec().getTemplate().getSpec().getContainers()).hasSize(1);
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    static Volume volume(Deployment d, String name) {
        return d.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError(d.getMetadata().getName() + " has no volume " + name));
    }

    static String mountPath(Deployment d, Container c, String volume) {
        return c.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).map(VolumeMount::getMountPath)
                .findFirst().orElseThrow(() -> new AssertionError(d.getMetadata().getName() + " does not mount " + volume));
    }
}
