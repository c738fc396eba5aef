import CCurl
import Foundation
import Synchronization

/// The one thread that drives every transfer through one curl multi handle: it admits
/// requests while fewer than `download.concurrency` run in all and fewer than
/// `download.per_host` run against their host, lets curl move the bytes, and resumes each
/// request's continuation when its transfer ends.
///
/// Requests wait in this engine, not inside curl, so that a request's timeouts start when its
/// transfer does.
final class TransferEngine: @unchecked Sendable {
    // Safe to share: other threads only touch `mailbox` (behind its mutex) and call
    // `multi.wakeup()`; every other property is read and written by the engine's own thread.
    private let mailbox = Mutex(Mailbox())
    private let multi: CurlMulti
    private let settings: DownloadSettings
    private let policy: AddressPolicy
    private let magic: Magic
    private let logger: Logger
    private let budget: MemoryBudget
    private let startsWriteback: Bool

    private var waiting: [String: HostQueue] = [:]
    private var hostOrder: [String] = []
    private var runningByHost: [String: Int] = [:]
    private var running: [UnsafeMutableRawPointer: Transfer] = [:]

    /// What other threads hand to the engine.
    private struct Mailbox {
        var requests: [TransferRequest] = []
        var cancelled: [UInt64] = []
        var stopping = false
    }

    /// The requests waiting for one host, oldest first.
    private struct HostQueue {
        var requests: [TransferRequest] = []
        var head = 0
        var isEmpty: Bool { head == requests.count }

        mutating func pop() -> TransferRequest {
            let request = requests[head]
            head += 1
            if head > 1024 && head * 2 > requests.count {
                requests.removeFirst(head)
                head = 0
            }
            return request
        }
    }

    init(
        settings: DownloadSettings, magic: Magic, logger: Logger, budget: MemoryBudget,
        startsWriteback: Bool
    ) {
        self.settings = settings
        self.magic = magic
        self.logger = logger
        self.budget = budget
        self.startsWriteback = startsWriteback
        self.policy = AddressPolicy(
            allowsPrivateAddresses: settings.download.allowPrivateAddresses,
            exemptAddresses: settings.exemptAddresses)
        self.multi = CurlMulti(
            connections: settings.download.concurrency, perHost: settings.download.perHost)
    }

    /// Starts the engine's thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "intake-download"
        thread.start()
    }

    func submit(_ request: TransferRequest) {
        mailbox.withLock { $0.requests.append(request) }
        multi.wakeup()
    }

    func cancel(id: UInt64) {
        mailbox.withLock { $0.cancelled.append(id) }
        multi.wakeup()
    }

    /// Ends every transfer and waiting request with `cancelled` and lets the thread exit.
    func stop() {
        mailbox.withLock { $0.stopping = true }
        multi.wakeup()
    }

    private func run() {
        while true {
            let (requests, cancelled, stopping) = mailbox.withLock { box in
                defer {
                    box.requests = []
                    box.cancelled = []
                }
                return (box.requests, box.cancelled, box.stopping)
            }
            for request in requests {
                enqueue(request)
            }
            for id in cancelled {
                cancel(id, reason: "the download was cancelled")
            }
            if stopping {
                stopAll()
                return
            }
            admit()
            multi.perform()
            var finishedAny = false
            for (handle, result) in multi.finished() {
                finishedAny = true
                complete(handle, result)
            }
            if finishedAny { continue }
            multi.poll(timeoutMillis: 1000)
        }
    }

    private func enqueue(_ request: TransferRequest) {
        if waiting[request.hostKey] == nil || waiting[request.hostKey]!.isEmpty {
            if !hostOrder.contains(request.hostKey) { hostOrder.append(request.hostKey) }
        }
        waiting[request.hostKey, default: HostQueue()].requests.append(request)
    }

    /// Starts waiting requests, taking hosts in turn, while the limits allow.
    private func admit() {
        let limit = settings.download.concurrency
        let perHost = settings.download.perHost
        var progress = true
        while running.count < limit && progress && !hostOrder.isEmpty {
            progress = false
            for host in hostOrder where running.count < limit {
                guard runningByHost[host, default: 0] < perHost, waiting[host]?.isEmpty == false
                else { continue }
                start(waiting[host]!.pop())
                progress = true
            }
            hostOrder.removeAll { waiting[$0]?.isEmpty != false }
        }
    }

    private func start(_ request: TransferRequest) {
        let transfer: Transfer
        do {
            transfer = try Transfer(
                request: request, settings: settings, policy: policy, magic: magic,
                budget: budget, startsWriteback: startsWriteback)
        } catch {
            request.continuation.resume(returning: .failed(error))
            return
        }
        running[transfer.easy.handle] = transfer
        runningByHost[request.hostKey, default: 0] += 1
        multi.add(transfer.easy)
        logger.debug("download started", ("url", request.url))
    }

    private func complete(_ handle: UnsafeMutableRawPointer, _ code: CURLcode) {
        guard let transfer = running.removeValue(forKey: handle) else { return }
        multi.remove(transfer.easy)
        runningByHost[transfer.request.hostKey, default: 1] -= 1
        transfer.request.continuation.resume(returning: transfer.finish(code))
    }

    private func cancel(_ id: UInt64, reason: String) {
        let failure = DownloadFailure(code: "cancelled", message: reason, transient: true)
        if let (handle, transfer) = running.first(where: { $0.value.request.id == id }) {
            running.removeValue(forKey: handle)
            multi.remove(transfer.easy)
            runningByHost[transfer.request.hostKey, default: 1] -= 1
            transfer.request.continuation.resume(returning: transfer.abandon(failure))
            return
        }
        for host in hostOrder {
            guard var queue = waiting[host] else { continue }
            guard let index = queue.requests[queue.head...].firstIndex(where: { $0.id == id })
            else { continue }
            let request = queue.requests.remove(at: index)
            waiting[host] = queue
            request.continuation.resume(returning: .failed(failure))
            return
        }
    }

    private func stopAll() {
        let failure = DownloadFailure(
            code: "cancelled", message: "the downloader stopped", transient: true)
        for transfer in running.values {
            multi.remove(transfer.easy)
            transfer.request.continuation.resume(returning: transfer.abandon(failure))
        }
        running = [:]
        for host in hostOrder {
            while waiting[host]?.isEmpty == false {
                waiting[host]!.pop().continuation.resume(returning: .failed(failure))
            }
        }
        waiting = [:]
        hostOrder = []
    }
}
