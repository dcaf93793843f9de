package io.nicq.proto;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class InstancePathsTest
{
    @Test
    void layoutUnderTheRoot()
    {
        final InstancePaths paths = InstancePaths.of("a1", Path.of("/tmp/x"));
        assertEquals(Path.of("/tmp/x/a1/aeron"), paths.aeronDir());
        assertEquals(Path.of("/tmp/x/a1/counters"), paths.countersFile());
        assertEquals(Path.of("/tmp/x/a1/queues/7"), paths.queueChannel(7));
    }

    @Test
    void queueChannelsOfARealCardFollowTheAllocatorsDmaFileRoot()
    {
        final InstancePaths paths = InstancePaths.of("a1", Path.of("/tmp/x"));
        assertEquals(Path.of("/dev/hugepages/nicq/a1/queues/7"), paths.queueChannel(7, Path.of("/dev/hugepages")));
        assertEquals(paths.queueChannel(7), paths.queueChannel(7, null), "a simulated card: anywhere, so the default");
    }

    @Test
    void namesCannotEscapeTheirDirectory()
    {
        for (final String bad : new String[] {"", "..", "../etc", "a/b", ".hidden", "-x", "a b", "x".repeat(65)})
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> InstancePaths.of(bad, Path.of("/tmp")));
            assertTrue(ex.getMessage().startsWith("instance name"), ex.getMessage());
        }
    }
}
