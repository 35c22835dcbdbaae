package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngressBuilder;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The addresses an Ingress's {@code status.loadBalancer.ingress} shows, as ingress-nginx's
 * {@code --publish-service} / {@code --publish-status-address} give them: the given addresses
 * if any; else from the proxy Service: a LoadBalancer's {@code status.loadBalancer.ingress}
 * (IP or hostname; none while it is pending), an ExternalName's name, otherwise (ClusterIP,
 * NodePort) its {@code spec.externalIPs}, else its ClusterIP. Sorted, so a rewrite only happens
 * when the set changes.
 */
final class PublishedAddresses {
    private static final Pattern IPV4 = Pattern.compile("^[0-9]{1,3}(\\.[0-9]{1,3}){3}$");

    private PublishedAddresses() {
    }

    /** From {@code --publish-address}: an IP literal becomes {@code ip}, anything else {@code hostname}. */
    static List<IngressLoadBalancerIngress> of(List<String> addresses) {
        Set<String> distinct = new LinkedHashSet<>(addresses);
        return sorted(distinct.stream().map(PublishedAddresses::entry).toList());
    }

    /** From the proxy Service; empty when it is missing or its load balancer is pending. */
    static List<IngressLoadBalancerIngress> of(Service svc) {
        if (svc == null || svc.getSpec() == null) {
            return List.of();
        }
        String type = Objects.requireNonNullElse(svc.getSpec().getType(), "ClusterIP");
        List<IngressLoadBalancerIngress> out = new ArrayList<>();
        switch (type) {
            case "LoadBalancer" -> {
                if (svc.getStatus() != null && svc.getStatus().getLoadBalancer() != null
                        && svc.getStatus().getLoadBalancer().getIngress() != null) {
                    for (LoadBalancerIngress i : svc.getStatus().getLoadBalancer().getIngress()) {
                        if (i.getIp() != null && !i.getIp().isEmpty()) {
                            out.add(new IngressLoadBalancerIngressBuilder().withIp(i.getIp()).build());
                        } else if (i.getHostname() != null && !i.getHostname().isEmpty()) {
                            out.add(new IngressLoadBalancerIngressBuilder().withHostname(i.getHostname()).build());
                        }
                    }
                }
                externalIps(svc).forEach(ip -> out.add(entry(ip)));
            }
            case "ExternalName" -> {
                if (svc.getSpec().getExternalName() != null) {
                    out.add(new IngressLoadBalancerIngressBuilder().withHostname(svc.getSpec().getExternalName()).build());
                }
            }
            default -> {
                List<String> external = externalIps(svc);
                if (!external.isEmpty()) {
                    external.forEach(ip -> out.add(entry(ip)));
                } else if (svc.getSpec().getClusterIP() != null && !svc.getSpec().getClusterIP().isEmpty()
                        && !"None".equals(svc.getSpec().getClusterIP())) {
                    out.add(entry(svc.getSpec().getClusterIP()));
                }
            }
        }
        return sorted(out);
    }

    private static List<String> externalIps(Service svc) {
        return Objects.requireNonNullElse(svc.getSpec().getExternalIPs(), List.of());
    }

    private static IngressLoadBalancerIngress entry(String address) {
        boolean ip = IPV4.matcher(address).matches() || address.indexOf(':') >= 0;
        return ip ? new IngressLoadBalancerIngressBuilder().withIp(address).build()
                : new IngressLoadBalancerIngressBuilder().withHostname(address).build();
    }

    private static List<IngressLoadBalancerIngress> sorted(List<IngressLoadBalancerIngress> in) {
        List<IngressLoadBalancerIngress> out = new ArrayList<>(new LinkedHashSet<>(in));
        out.sort(Comparator.comparing((IngressLoadBalancerIngress i) -> Objects.requireNonNullElse(i.getIp(), ""))
                .thenComparing(i -> Objects.requireNonNullElse(i.getHostname(), "")));
        return List.copyOf(out);
    }
}
