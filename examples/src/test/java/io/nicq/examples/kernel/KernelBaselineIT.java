package io.nicq.examples.kernel;

import java.nio.file.Path;

import io.nicq.examples.rpc.WarmUp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** The kernel baselines measure real round trips, across namespaces as root and on loopback otherwise. */
class KernelBaselineIT
{
    @TempDir
    Path dir;

    @Test
    void measuresRoundTripsAndSaysHow() throws Exception
    {
        final KernelBaseline.Result result = KernelBaseline.measure(200, 2000, 64, false, dir);
        assertEquals(2000, result.roundTrip().getTotalCount() + result.lost());
        assertTrue(result.roundTrip().getTotalCount() >= 1990, "lost " + result.lost());
        assertTrue(result.roundTrip().getValueAtPercentile(50) > 1000, "a kernel round trip takes over a microsecond");
        if (NetworkNamespace.unavailableReason() == null)
        {
            assertEquals("veth pair between two network namespaces", result.how());
        }
        else
        {
            assertTrue(result.how().startsWith("loopback ("), result.how());
        }
    }

    @Test
    void measuresTcpRoundTripsOnOneConnectionAndSaysHow() throws Exception
    {
        final KernelBaseline.Result result = KernelBaseline.measure(KernelBaseline.Protocol.TCP, WarmUp.fixed(200),
            2000, 64, true, dir, true);
        assertEquals(KernelBaseline.Protocol.TCP, result.protocol());
        assertEquals(2000, result.roundTrip().getTotalCount(), "every round trip recorded");
        assertEquals(0, result.lost(), "every answer its request's");
        assertTrue(result.roundTrip().getValueAtPercentile(50) > 1000, "a kernel round trip takes over a microsecond");
        assertTrue(result.label().startsWith("kernel TCP, busy-polling sockets, "), result.label());
        assertNotNull(result.conditions(), "the measured window was watched");
        if (NetworkNamespace.unavailableReason() == null)
        {
            assertEquals("veth pair between two network namespaces", result.how());
        }
        else
        {
            assertTrue(result.how().startsWith("loopback ("), result.how());
        }
        assertTrue(java.nio.file.Files.readString(dir.resolve("kernel-tcp-echo.log")).contains("(TCP, busy poll)"),
            "the TCP echo server ran");
    }
}
