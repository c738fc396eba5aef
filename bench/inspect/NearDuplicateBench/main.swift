import Foundation
import IntakeCore

/// Measures `NearDuplicateIndex` at a million stored hashes: the time to fill it and the time
/// per query (within 8 bits), over random hashes with a few planted neighbours.
let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
let queries = 200
var generator = SystemRandomNumberGenerator()
let hashes = (0..<count).map { _ in UInt64.random(in: .min ... .max, using: &generator) }

let fillStart = DispatchTime.now().uptimeNanoseconds
var index = NearDuplicateIndex<Int>()
for (id, hash) in hashes.enumerated() { index.insert(hash, id: id) }
let fillMs = Double(DispatchTime.now().uptimeNanoseconds - fillStart) / 1e6

var timings: [Double] = []
var found = 0
for query in 0..<queries {
    let target = hashes[query * (count / queries)] ^ 0b1011  // 3 bits from a stored hash
    let start = DispatchTime.now().uptimeNanoseconds
    let matches = index.nearest(to: target, within: 8)
    timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    found += matches.isEmpty ? 0 : 1
}
timings.sort()
precondition(found == queries, "every planted neighbour must be found")
print(
    "entries=\(count) fill_ms=\(String(format: "%.1f", fillMs))"
        + " query_median_ms=\(String(format: "%.3f", timings[queries / 2]))"
        + " query_p95_ms=\(String(format: "%.3f", timings[queries * 95 / 100]))"
        + " queries=\(queries)")
