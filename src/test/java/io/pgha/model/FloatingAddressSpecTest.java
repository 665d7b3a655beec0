package io.pgha.model;

import static io.pgha.model.SpecAssertions.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The spec's lb section: the floating address, checked against the lb hosts' addresses before any host sees it. */
class FloatingAddressSpecTest {
    private static final String TWO_LB = TestSpecs.GUIDE_HOSTS + "  lb2: {address: 10.0.2.2, role: lb}\n";
    private final ClusterSpecParser parser = ClusterSpecParser.standalone();

    private ClusterSpec parse(String text) throws InvalidSpecException {
        return parser.parse(text, "cluster.yml");
    }

    @Test
    void aFloatingAddressInTheLbHostsNetworkIsRead() throws Exception {
        ClusterSpec spec = parse(TWO_LB + "lb: {vip: 10.0.2.100/24, interface: ens3, router_id: 42}\n");
        assertEquals(Optional.of(new ClusterSpec.Vip("10.0.2.100", 24, Optional.of("ens3"), 42)), spec.vip());
        assertEquals("10.0.2.100/24", spec.vip().get().cidr());
        assertTrue(spec.warnings().stream().noneMatch(w -> w.startsWith("lb.vip")), spec.warnings().toString());
    }

    @Test
    void withoutARouterIdTheClusterNameGivesOneThatStaysTheSame() throws Exception {
        int id = parse(TWO_LB + "lb: {vip: 10.0.2.100/24}\n").vip().orElseThrow().routerId();
        assertTrue(id >= 1 && id <= 255, Integer.toString(id));
        assertEquals(id, ClusterSpecParser.defaultRouterId("demo"));
        assertEquals(Optional.empty(), parse(TWO_LB).vip().flatMap(ClusterSpec.Vip::device));
    }

    @Test
    void oneLbHostIsWarnedAbout() throws Exception {
        ClusterSpec spec = parse(TestSpecs.GUIDE_HOSTS + "lb: {vip: 10.0.2.100/24}\n");
        assertTrue(spec.warnings().stream().anyMatch(w -> w.startsWith("lb.vip: one lb host holds 10.0.2.100")),
                spec.warnings().toString());
    }

    @Test
    void anAddressOutsideAnLbHostsNetworkIsRefused() {
        assertRefused(() -> parse(TWO_LB + "lb: {vip: 10.0.3.100/24}\n"), "lb.vip",
                "10.0.3.100/24 is outside the network of lb host 'lb1' (10.0.2.1 is not in the same /24)");
        // A wider prefix takes both in.
        assertEquals("10.0.3.100", assertParses(TWO_LB + "lb: {vip: 10.0.3.100/16}\n").vip().orElseThrow()
                .address());
    }

    @Test
    void anAddressSomeHostHasIsRefused() {
        assertRefused(() -> parse(TWO_LB + "lb: {vip: 10.0.2.2/24}\n"), "lb.vip",
                "10.0.2.2 is the address of host 'lb2': the floating address must be one that no host has");
        assertRefused(() -> parse(TWO_LB + "lb: {vip: 10.0.1.1/16}\n"), "lb.vip", "address of host 'pg1'");
    }

    @Test
    void aFloatingAddressWithoutLbHostsIsRefused() {
        String noLb = TestSpecs.GUIDE_HOSTS.replace("  lb1: {address: 10.0.2.1, role: lb}\n", "");
        assertRefused(() -> parse(noLb + "lb: {vip: 10.0.2.100/24}\n"), "lb.vip",
                "no host has role lb: a floating address needs lb hosts to hold it");
    }

    @Test
    void malformedValuesAreNamedAllInOnePass() {
        InvalidSpecException e = assertRefused(() -> parse(TWO_LB
                + "lb: {vip: 10.0.2.100, interface: 'eth0; reboot', router_id: 256, vrrp: 3}\n"), "lb.vip",
                "expected an IPv4 address with its network's prefix length, such as 10.0.2.100/24, found '10.0.2.100'");
        assertTrue(e.errors().stream().anyMatch(x -> x.field().equals("lb.interface")
                && x.reason().startsWith("expected a network interface name")), e.errors().toString());
        assertTrue(e.errors().stream().anyMatch(x -> x.field().equals("lb.router_id")), e.errors().toString());
        assertTrue(e.errors().stream().anyMatch(x -> x.field().equals("lb.vrrp")), e.errors().toString());
        assertRefused(() -> parse(TWO_LB + "lb: {vip: 10.0.2.300/24}\n"), "lb.vip", "such as 10.0.2.100/24");
        assertRefused(() -> parse(TWO_LB + "lb: {vip: 10.0.2.100/33}\n"), "lb.vip", "such as 10.0.2.100/24");
        assertRefused(() -> parse(TWO_LB + "lb: {interface: eth0}\n"), "lb.vip", "");
    }

    private ClusterSpec assertParses(String text) {
        try {
            return parse(text);
        } catch (InvalidSpecException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
