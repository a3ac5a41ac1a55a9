/**
 * Turnout: an edge proxy with blue/green switching. This package holds the command line and the
 * wiring ({@link dev.turnout.Turnout}, {@link dev.turnout.TurnoutServer}: start and stop order).
 *
 * <h2>Layers</h2>
 * Packages depend downwards only; {@code ArchitectureTest} fails the build on an import against
 * this order:
 * <pre>
 *   dev.turnout (command line, wiring)
 *   admin            the admin API: switch, rollback, reload, status, history   demo   cli
 *   proxy            client listener, the request exchange, client streams
 *   metrics          the meters of GET /metrics, recorded where things happen
 *   cluster          cluster mode: the routing state in etcd, leases, drain reports
 *   health, state    active checks and probes; the state file and flip history
 *   routing          Backend, Pool, RoutingSnapshot, TrafficSwitch, rollback watch
 *   upstream         connections to backends, their idle pools, response parsing
 *   config           proxy.yaml as immutable records
 *   base             transport choice, lifecycle, hop-by-hop names, JSON answers
 * </pre>
 * {@code cli} holds the operator's commands ({@code turnout status}, {@code switch}, ...): clients of
 * the admin API over HTTP, so besides their own package they may use only {@code config} and {@code base}.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>Event loops ({@code turnout-io}, one per core) run client connections, their exchanges and
 *       the upstream connections those use. A client connection and every upstream connection it
 *       takes live on the same loop, so an exchange is never touched by two threads; idle upstream
 *       connections are pooled per loop. Nothing on an event loop blocks, and the request path
 *       takes no lock; the rare hand-offs to the admin executor (a drain that ended, a rollback
 *       watch that tripped) only enqueue a task.</li>
 *   <li>The routing snapshot is immutable and read once per request from one {@code AtomicReference};
 *       live counters (in-flight, health, outcomes) hang off {@code Backend} and {@code Pool} as atomics.</li>
 *   <li>The admin listener has its own loop ({@code turnout-admin-io}), which only parses and writes;
 *       switch, reload and gate work (which waits on probes and drains, and writes the state file)
 *       runs on the single {@code turnout-admin} executor, so flips are serialized.</li>
 *   <li>Health checks and probes run on their own loop ({@code turnout-health}); DNS lookups for
 *       upstream connections on {@code turnout-dns}; connections are accepted on {@code turnout-accept}.</li>
 * </ul>
 */
package dev.turnout;
