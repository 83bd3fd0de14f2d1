import CoreMetrics
public import Prometheus

/// The daemon's metrics: recorded through swift-metrics into a Prometheus registry that this
/// object owns, and rendered from it for `/metrics`.
///
/// Each ``ServeApplication`` has its own registry rather than one bootstrapped for the process
/// (`MetricsSystem.bootstrap` can run once per process): tests run several daemons in one
/// process, and each must count only its own events. The names, help texts and labels are
/// those of ``ServeMetric``; callers aggregate per poll
/// batch, so a batch records a few dozen values, each one registry look-up.
public final class ServeMetrics: Sendable {
    /// The registry behind `/metrics`.
    public let registry: PrometheusCollectorRegistry
    private let factory: DescribedPrometheusFactory

    /// A registry holding every single-series metric at 0; labelled series appear when first
    /// recorded.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var help: [String: String] = [:]
        for metric in ServeMetric<CounterMetric>.counters { help[metric.name] = metric.help }
        for metric in ServeMetric<GaugeMetric>.gauges { help[metric.name] = metric.help }
        for metric in ServeMetric<HistogramMetric>.histograms { help[metric.name] = metric.help }
        self.registry = registry
        factory = DescribedPrometheusFactory(
            registry: registry, help: { [help] in help[$0] ?? "" },
            timerBuckets: ServeMetric<HistogramMetric>.latencyBuckets)
        for counter in ServeMetric<CounterMetric>.counters where counter.labels.isEmpty { count(counter, by: 0) }
        for gauge in ServeMetric<GaugeMetric>.gauges where gauge.labels.isEmpty { set(gauge, to: 0) }
    }

    /// Adds `amount` to the series of `counter` with these label values (in the order of
    /// ``ServeMetric/labels``).
    public func count(_ counter: ServeMetric<CounterMetric>, by amount: Int = 1, _ labels: String...) {
        CoreMetrics.Counter(label: counter.name, dimensions: Self.dimensions(counter.labels, labels), factory: factory)
            .increment(by: amount)
    }

    /// Sets the series of `gauge` with these label values.
    public func set(_ gauge: ServeMetric<GaugeMetric>, to value: Double, _ labels: String...) {
        Meter(label: gauge.name, dimensions: Self.dimensions(gauge.labels, labels), factory: factory).set(value)
    }

    /// Adds one observation to the series of `histogram` with these label values.
    public func record(_ histogram: ServeMetric<HistogramMetric>, _ duration: Duration, _ labels: String...) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        CoreMetrics.Timer(
            label: histogram.name, dimensions: Self.dimensions(histogram.labels, labels), factory: factory
        )
        .recordNanoseconds(max(nanoseconds, 0))
    }

    /// The Prometheus text exposition (version 0.0.4).
    public func render() -> String {
        registry.emitToString()
    }

    /// The current value of one series of a counter or gauge (0 when never recorded), read from
    /// the exposition, as a scraper sees it.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        PrometheusSamples(render()).value(name, labels) ?? 0
    }

    /// The sum over every series of `counter`.
    public func total(_ counter: ServeMetric<CounterMetric>) -> Double {
        PrometheusSamples(render()).samples.filter { $0.name == counter.name }.reduce(0) { $0 + $1.value }
    }

    /// The current value of one series of `counter`.
    public func value(_ counter: ServeMetric<CounterMetric>, _ labels: String...) -> Double {
        value(counter.name, Dictionary(uniqueKeysWithValues: zip(counter.labels, labels)))
    }

    private static func dimensions(_ names: [String], _ values: [String]) -> [(String, String)] {
        precondition(names.count == values.count, "metric labels \(names) given values \(values)")
        return Array(zip(names, values))
    }
}
