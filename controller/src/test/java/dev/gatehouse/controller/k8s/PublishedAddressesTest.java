package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What an Ingress's status.loadBalancer.ingress shows, one row per kind of proxy Service (as ingress-nginx). */
class PublishedAddressesTest {
    static Service svc(String type, String clusterIp, List<String> externalIps, String lbIp, String lbHost, String externalName) {
        ServiceBuilder b = new ServiceBuilder().withNewMetadata().withName("p").withNamespace("ns").endMetadata()
                .withNewSpec().withType(type).withClusterIP(clusterIp).withExternalIPs(externalIps).withExternalName(externalName)
                .endSpec();
        if (lbIp != null || lbHost != null) {
            b.withNewStatus().withNewLoadBalancer().addNewIngress().withIp(lbIp).withHostname(lbHost).endIngress()
                    .endLoadBalancer().endStatus();
        }
        return b.build();
    }

    static List<String> text(List<IngressLoadBalancerIngress> l) {
        return l.stream().map(i -> i.getIp() != null ? "ip:" + i.getIp() : "hostname:" + i.getHostname()).toList();
    }

    @Test
    void fromTheProxyService() {
        assertThat(text(PublishedAddresses.of(svc("ClusterIP", "10.96.0.10", List.of(), null, null, null))))
                .containsExactly("ip:10.96.0.10");
        assertThat(text(PublishedAddresses.of(svc(null, "10.96.0.10", List.of(), null, null, null))))
                .as("type defaults to ClusterIP").containsExactly("ip:10.96.0.10");
        assertThat(text(PublishedAddresses.of(svc("NodePort", "10.96.0.10", List.of("198.51.100.9", "198.51.100.7"), null, null, null))))
                .as("external IPs win over the ClusterIP, sorted").containsExactly("ip:198.51.100.7", "ip:198.51.100.9");
        assertThat(text(PublishedAddresses.of(svc("ClusterIP", "None", List.of(), null, null, null)))).as("headless").isEmpty();
        assertThat(text(PublishedAddresses.of(svc("LoadBalancer", "10.96.0.10", List.of(), null, null, null))))
                .as("a pending load balancer shows nothing yet").isEmpty();
        assertThat(text(PublishedAddresses.of(svc("LoadBalancer", "10.96.0.10", List.of(), "203.0.113.7", null, null))))
                .containsExactly("ip:203.0.113.7");
        assertThat(text(PublishedAddresses.of(svc("LoadBalancer", "10.96.0.10", List.of("198.51.100.7"), null, "lb.example.com", null))))
                .containsExactly("hostname:lb.example.com", "ip:198.51.100.7");
        assertThat(text(PublishedAddresses.of(svc("ExternalName", null, List.of(), null, null, "edge.example.com"))))
                .containsExactly("hostname:edge.example.com");
        assertThat(PublishedAddresses.of((Service) null)).as("no Service").isEmpty();
    }

    @Test
    void fromTheFlag() {
        assertThat(text(PublishedAddresses.of(List.of("lb.example.com", "203.0.113.7", "2001:db8::1", "203.0.113.7"))))
                .containsExactly("hostname:lb.example.com", "ip:2001:db8::1", "ip:203.0.113.7");
    }

    @Test
    void flagsAreCheckedNamingTheFlag() {
        assertThatThrownBy(() -> new IngressConfig("gatehouse", "no-slash", List.of()))
                .hasMessage("--publish-service: \"no-slash\" (expected: NAMESPACE/NAME of the proxy Service, e.g. "
                        + "gatehouse-system/gatehouse-proxy)");
        assertThatThrownBy(() -> new IngressConfig("gatehouse", null, List.of("a b")))
                .hasMessageStartingWith("--publish-address: \"a b\" (expected: an IP address or a DNS name");
        assertThat(new IngressConfig("", null, null).enabled()).isFalse();
        assertThat(new IngressConfig("gatehouse", "gatehouse-system/gatehouse-proxy", null).publishes()).isTrue();
        assertThat(IngressConfig.DEFAULT.publishes()).isFalse();
    }
}
