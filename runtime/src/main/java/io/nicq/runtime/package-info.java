/**
 * What every nicq process needs and that is no part of any protocol: idle strategies by name
 * ({@link io.nicq.runtime.IdleStrategies}), CPU affinity ({@link io.nicq.runtime.CpuAffinity}), how one nicq JVM starts
 * another with the same flags and class path ({@link io.nicq.runtime.ChildJvm}, {@link io.nicq.runtime.RunCommand}),
 * sleeping on a word in shared memory until another process wakes it ({@link io.nicq.runtime.WakeWord} over
 * {@link io.nicq.runtime.Futex}), and durations as messages show them ({@link io.nicq.runtime.Durations}).
 */
package io.nicq.runtime;
