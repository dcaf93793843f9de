package io.nicq.bench.idle;

import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Option;

/**
 * What an idle benchmark lets a user change in the nicq processes it starts ({@link UserProcesses#startCard},
 * {@link UserProcesses#startCardDriver}, {@link UserProcesses#startUdpEcho}): by default each runs with its own
 * defaults, as a newcomer gets them.
 */
final class UserProcessOptions
{
    @Option(names = "--app-idle", description = "The application's loop idle strategy (udp-echo --idle); default: " +
        "the example's default.")
    String appIdle;

    @Option(names = "--sim-idle", description = "The simulated card's device loop (nicq sim --idle); default: its " +
        "default.")
    String simIdle;

    @Option(names = "--card-driver-arg", paramLabel = "ARG",
        description = "An extra argument for the card driver, e.g. --card-driver-arg=--default-queue-idle=sleep:20")
    List<String> cardDriverArgs = new ArrayList<>();
}
