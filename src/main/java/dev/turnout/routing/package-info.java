/**
 * Routing state: the immutable {@code RoutingSnapshot} behind one {@code AtomicReference} in
 * {@code TrafficSwitch}, and the live per-backend and per-pool counters that outlive snapshots.
 */
package dev.turnout.routing;
