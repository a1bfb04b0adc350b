extension Duration {
    /// The duration as a number of seconds, for rates and reports.
    var inSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
