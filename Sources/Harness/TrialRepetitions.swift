import Tensor

/// How many calls make one timed trial: doubled from 1 until a trial lasts `seconds` (or
/// `limit` calls), so that short calls are not lost in the clock's resolution and long ones do
/// not take all day.
func trialRepetitions(lasting seconds: Double, limit: Int, _ call: () -> Void) -> Int {
    var repetitions = 1
    while true {
        let watch = Stopwatch()
        for _ in 0..<repetitions { call() }
        if watch.elapsed >= seconds || repetitions >= limit { return repetitions }
        repetitions *= 2
    }
}
