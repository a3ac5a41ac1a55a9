/**
 * Cluster mode: the routing state (active pool, previous, generation, flip history) kept in etcd
 * and shared by every replica of one cluster name, the replicas' leases, and their drain reports.
 */
package dev.turnout.cluster;
