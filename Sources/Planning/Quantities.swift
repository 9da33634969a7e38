import Foundation

/// How the planner prints numbers: exact counts with thousands separators beside a rounded
/// human-readable value, so every printed figure can be checked by hand.
public enum Quantities {
    /// 1234567 → "1,234,567".
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Decimal units (GB = 1e9 bytes), as memory sizes of accelerators and checkpoints are quoted.
    public static func bytes(_ n: Double) -> String {
        scaled(n, units: [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")], fallback: "B")
    }

    /// "42,949,672,960 B (42.9 GB)".
    public static func exactBytes(_ n: Int) -> String { "\(grouped(n)) B (\(bytes(Double(n))))" }

    /// 456.09B, 45.94B, 1.23M.
    public static func count(_ n: Double) -> String {
        if n >= 1e12 { return String(format: "%.2fT", n / 1e12) }
        if n >= 1e9 { return String(format: "%.2fB", n / 1e9) }
        if n >= 1e6 { return String(format: "%.2fM", n / 1e6) }
        if n >= 1e3 { return String(format: "%.1fK", n / 1e3) }
        return String(format: "%.0f", n)
    }

    /// 9.4e10 → "94.0 GFLOP".
    public static func flops(_ n: Double) -> String {
        scaled(n, units: [(1e18, "EFLOP"), (1e15, "PFLOP"), (1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "KFLOP")],
               fallback: "FLOP")
    }

    /// Context lengths: 1024 → "1K", 1048576 → "1M", 100000 → "100,000".
    public static func tokens(_ n: Int) -> String {
        if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20)M" }
        if n >= 1 << 10 && n % (1 << 10) == 0 { return "\(n >> 10)K" }
        return grouped(n)
    }

    static func scaled(_ n: Double, units: [(Double, String)], fallback: String) -> String {
        for (size, name) in units where n.magnitude >= size {
            let v = n / size
            return String(format: v >= 100 ? "%.0f %@" : v >= 10 ? "%.1f %@" : "%.2f %@", v, name)
        }
        return String(format: "%.0f %@", n, fallback)
    }
}
