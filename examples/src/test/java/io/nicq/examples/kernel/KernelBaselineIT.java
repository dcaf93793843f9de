package io.nicq.examples.kernel;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** The kernel baseline measures real round trips, across namespaces as root and on loopback otherwise. */
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
}
