package io.nicq.examples;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code nicq example NAME}: the example applications on a nicq instance. */
@Command(name = "example", mixinStandardHelpOptions = true,
    description = "Run an example application on a nicq instance.",
    subcommands = {UdpEchoCommand.class, RpcLatencyCommand.class, PktgenCommand.class, SockperfServerCommand.class,
        TcpEchoCommand.class, TcpSendCommand.class, TcpRpcLatencyCommand.class,
        io.nicq.examples.kernel.KernelEchoCommand.class, io.nicq.examples.kernel.KernelTcpCommand.class})
public final class ExampleCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    public Integer call()
    {
        spec.commandLine().usage(System.out);
        return 0;
    }
}
