public enum LithVersion { public static let current = "0.1.0" }
