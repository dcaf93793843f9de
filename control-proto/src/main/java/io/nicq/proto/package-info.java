/**
 * What two nicq processes must agree on.
 * <ul>
 *   <li>The control protocol: SBE codecs generated into {@code io.nicq.proto.sbe} from
 *   {@code src/main/resources/sbe/nicq-control.xml}, where it runs ({@link io.nicq.proto.ControlProtocol}) and how a
 *   received message is checked before it is decoded ({@link io.nicq.proto.ControlMessageValidator}).</li>
 *   <li>The requesting side: {@link io.nicq.proto.CardDriverProxy}, one method per request (encoded by
 *   {@link io.nicq.proto.ControlRequestEncoder}), over {@link io.nicq.proto.ControlClient}, the transport; failures
 *   are {@link io.nicq.proto.ControlException}s.</li>
 *   <li>Where an instance keeps its files ({@link io.nicq.proto.InstancePaths}).</li>
 *   <li>The shared-memory queue channel between a queue driver and its application ({@code io.nicq.proto.channel}).</li>
 * </ul>
 */
package io.nicq.proto;
