package io.nicq.reliability;

import java.util.concurrent.TimeUnit;

import io.nicq.proto.sbe.ConnectedDecoder;
import io.nicq.proto.sbe.ErrorCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Isolation where queue drivers are processes (the default): another client cannot attach to or detach a client's
 * PROCESS queue under its own pid. The disabled test shows that it can under the queue driver's pid, which the
 * request merely states.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ProcessIsolationIT
{
    private static final long VICTIM_TAG = 200;
    private static final int VICTIM_PORT = 8201;

    private ProcessCluster cluster;
    private ProcessCluster.Client victim;
    private long sequence;

    @BeforeAll
    void start()
    {
        cluster = new ProcessCluster();
        cluster.startSim();
        cluster.startCardDriver();
        victim = cluster.startClient(VICTIM_TAG, VICTIM_PORT);
    }

    @AfterAll
    void stop()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void anotherClientCannotDetachOrAttachAProcessQueueUnderItsOwnPid()
    {
        try (RawControl hostile = connected())
        {
            final long id = hostile.clientId();
            final long me = ProcessHandle.current().pid();
            long correlationId = hostile.nextCorrelationId();
            int length = Requests.ENCODER.detachQueueDriver(hostile.buffer(), correlationId, id, victim.queueId, me,
                0);
            RawControl.Answer answer = hostile.request(length, correlationId, id, 5_000);
            assertNotNull(answer, "answered");
            assertEquals(ErrorCode.NOT_OWNER, answer.error(), "DetachQueueDriver of another's queue: " + answer);

            correlationId = hostile.nextCorrelationId();
            length = Requests.ENCODER.attachQueueDriver(hostile.buffer(), correlationId, id, victim.queueId, me, 0,
                64, 1L << 40, (1L << 40) + 4096, 0);
            answer = hostile.request(length, correlationId, id, 5_000);
            assertNotNull(answer, "answered");
            assertTrue(answer.error() == ErrorCode.NOT_OWNER || answer.error() == ErrorCode.INVALID_ARGUMENT,
                "AttachQueueDriver to another's attached queue: " + answer);
        }
        assertEchoes(20, "the victim's queue still serves");
    }

    @Test
    @Order(2)
    void anotherClientCannotDetachAProcessQueueByNamingItsQueueDriversPid()
    {
        try (RawControl hostile = connected())
        {
            final long id = hostile.clientId();
            final long correlationId = hostile.nextCorrelationId();
            final int length = Requests.ENCODER.detachQueueDriver(hostile.buffer(), correlationId, id,
                victim.queueId, victim.queueDriverPid, 0);
            final RawControl.Answer answer = hostile.request(length, correlationId, id, 5_000);
            assertNotNull(answer, "answered");
            assertEquals(ErrorCode.NOT_OWNER, answer.error(), "another client detached the victim's queue: " +
                answer);
        }
        assertEchoes(20, "the victim's queue still serves");
    }

    private RawControl connected()
    {
        final RawControl hostile = new RawControl(cluster.paths().aeronDir().toString());
        final long correlationId = hostile.nextCorrelationId();
        final int length = Requests.ENCODER.connect(hostile.buffer(), correlationId, hostile.clientId(),
            ProcessHandle.current().pid(), "hostile");
        final RawControl.Answer answer = hostile.request(length, correlationId, hostile.clientId(), 5_000);
        assertNotNull(answer, "connected");
        assertEquals(ConnectedDecoder.TEMPLATE_ID, answer.templateId(), "connected: " + answer);
        return hostile;
    }

    /** Sends datagrams to the victim's port one by one; each must come back echoed by the victim. */
    private void assertEchoes(final int count, final String what)
    {
        for (int i = 0; i < count; i++)
        {
            final long expected = sequence++;
            final byte[] frame = Traffic.udp(cluster.cardMac(), EmbeddedInstance.CARD_IP, VICTIM_PORT, VICTIM_TAG,
                expected);
            Await.until(() -> cluster.inject(frame), 5_000, "the cable takes the frame");
            final boolean[] echoed = {false};
            Await.until(() ->
            {
                cluster.receive(reply ->
                {
                    if (Traffic.isTraffic(reply, Traffic.PAYLOAD_OFFSET) &&
                        Traffic.sequence(reply, Traffic.PAYLOAD_OFFSET) == expected &&
                        Traffic.echoedBy(reply, Traffic.PAYLOAD_OFFSET) == VICTIM_TAG)
                    {
                        echoed[0] = true;
                    }
                }, 64);
                return echoed[0];
            }, 5_000, 1, () -> what + ": datagram " + expected + " echoed");
        }
    }
}
