#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the OS user `postgres` (who runs the embedded server when pgevents runs as root)
/// can enter the folders on the way to a path, judged from their owners and modes.
struct ServerUserAccess {
    let uid: uid_t
    /// The user's primary and supplementary groups.
    let groups: Set<gid_t>

    /// The `postgres` user, or nil when there is none (PGTestServer then explains what to install).
    static func postgres() -> ServerUserAccess? {
        guard let entry = getpwnam("postgres") else { return nil }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist("postgres", gid, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist("postgres", gid, &list, &count)
        }
        return ServerUserAccess(uid: uid, groups: Set(list.prefix(Int(max(count, 0)))).union([gid]))
    }

    /// The first existing folder from `/` down to `path` (itself included) that the user
    /// cannot enter (no search permission), or nil. Folders that do not exist yet are made
    /// with mode 0755 later, so they are no obstacle.
    func blockingFolder(on path: String) -> String? {
        var current = ""
        for part in [""] + path.split(separator: "/").map(String.init) {
            current = part.isEmpty ? "/" : (current == "/" ? "/" : current + "/") + part
            var status = stat()
            guard stat(current, &status) == 0 else { return nil }
            guard status.st_mode & S_IFMT == S_IFDIR else { return nil }
            if !canSearch(status) { return current }
        }
        return nil
    }

    private func canSearch(_ status: stat) -> Bool {
        let mode = status.st_mode
        if status.st_uid == uid { return mode & S_IXUSR != 0 }
        if groups.contains(status.st_gid) { return mode & S_IXGRP != 0 }
        return mode & S_IXOTH != 0
    }
}
