import Foundation
import Synchronization

/// Time-ordered unique identifiers: UUIDv7 for events and tasks, 128-bit hex for trace ids.
///
/// UUIDv7 (RFC 9562, section 5.7): 48 bits of Unix milliseconds, version 7, then random bits.
/// Within one millisecond a process-wide counter in the random field keeps ids increasing, so
/// ids made by one process sort in the order they were made.
public enum Identifier {
    private static let last = Mutex<(millis: Int64, counter: UInt16)>((0, 0))

    /// A new UUIDv7 in its canonical lowercase text form.
    public static func uuidV7(millis: Int64 = Clock.nowMillis()) -> String {
        let (stamp, counter) = last.withLock { state -> (Int64, UInt16) in
            if millis > state.millis {
                state = (millis, UInt16(truncatingIfNeeded: millis) & 0x07FF)
            } else {
                state.counter &+= 1
                if state.counter >= 0x1000 {
                    state = (state.millis + 1, 0)
                }
            }
            return (state.millis, state.counter)
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: stamp >> (8 * (5 - index)))
        }
        bytes[6] = 0x70 | UInt8(counter >> 8 & 0x0F)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        var generator = SystemRandomNumberGenerator()
        let random: UInt64 = generator.next()
        for index in 8..<16 {
            bytes[index] = UInt8(truncatingIfNeeded: random >> (8 * (index - 8)))
        }
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let hex = Hex.string(bytes)
        let parts = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4),
            hex.dropFirst(16).prefix(4), hex.dropFirst(20),
        ]
        return parts.joined(separator: "-")
    }

    /// A new W3C-style trace id: 32 lowercase hex digits, never all zero.
    public static func traceID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high: UInt64 = generator.next() | 1
        let low: UInt64 = generator.next()
        return Hex.string(high) + Hex.string(low)
    }
}
