namespace Somnis.Hub;

/// <summary>Every log line the hub writes. Payloads are never logged: only beds, topics and reasons.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Embedded MQTT broker listening on 127.0.0.1:{Port}")]
    public static partial void EmbeddedBrokerStarted(ILogger logger, int port);

    [LoggerMessage(2, LogLevel.Information, "Connected to broker {Broker} (session present: {SessionPresent})")]
    public static partial void BrokerConnected(ILogger logger, string broker, bool sessionPresent);

    [LoggerMessage(3, LogLevel.Warning, "Broker {Broker} unreachable: {Reason}; retrying")]
    public static partial void BrokerUnreachable(ILogger logger, string broker, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Rejected message ({Reason}) from bed {Bed} on {Topic}: {Detail}. Further rejects for this reason and topic are only counted.")]
    public static partial void MessageRejected(ILogger logger, string reason, string bed, string topic, string detail);

    [LoggerMessage(5, LogLevel.Error, "Processing a message on {Topic} failed")]
    public static partial void IngestFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Failed sign-in for user {User}")]
    public static partial void SignInFailed(ILogger logger, string user);

    [LoggerMessage(7, LogLevel.Error, "Live feed push failed")]
    public static partial void LiveFeedFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Embedded broker port {Wanted} is in use; using {Actual} instead")]
    public static partial void EmbeddedPortTaken(ILogger logger, int wanted, int actual);

    [LoggerMessage(100, LogLevel.Warning, "Facility incident in {Facility}: {Beds} beds aroused together")]
    public static partial void IncidentDetected(ILogger logger, string facility, int beds);

    [LoggerMessage(101, LogLevel.Error, "An assessment listener failed on {Type}")]
    public static partial void AssessmentListenerFailed(ILogger logger, string type, Exception exception);

    // 300–399: storage (embedded store, time-series sink).
    [LoggerMessage(300, LogLevel.Information, "Store {Path}: applied schema step {Version} ({Name})")]
    public static partial void StoreMigrated(ILogger logger, string path, int version, string name);

    [LoggerMessage(301, LogLevel.Information, "Store {Path} open (schema version {Version}, WAL)")]
    public static partial void StoreOpened(ILogger logger, string path, int version);

    [LoggerMessage(302, LogLevel.Critical, "Store {Path} cannot be opened or migrated; the hub stops")]
    public static partial void StoreOpenFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(303, LogLevel.Warning, "Store queue full ({Queued} waiting): vitals are now dropped from the history (live state unaffected); {Total} dropped since start")]
    public static partial void StoreQueueFull(ILogger logger, int queued, long total);

    [LoggerMessage(304, LogLevel.Warning, "Store queue has room again: {Dropped} vitals were dropped from the history in this episode ({Total} since start)")]
    public static partial void StoreQueueDrained(ILogger logger, long dropped, long total);

    [LoggerMessage(305, LogLevel.Error, "Store write of {Count} vitals failed; keeping them and retrying")]
    public static partial void StoreWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(306, LogLevel.Information, "Store writes succeed again")]
    public static partial void StoreWritesRecovered(ILogger logger);

    [LoggerMessage(307, LogLevel.Error, "Store could not flush at shutdown; {Count} vitals not written")]
    public static partial void StoreFlushFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(308, LogLevel.Information, "Store retention: deleted {Rows} rows older than {Before:o}")]
    public static partial void StorePruned(ILogger logger, int rows, DateTimeOffset before);

    [LoggerMessage(309, LogLevel.Error, "Store retention run failed; retrying at the next interval")]
    public static partial void StorePruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(310, LogLevel.Error, "History journal {Directory} cannot be written; acknowledgements now wait for the store itself")]
    public static partial void HistoryJournalFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(312, LogLevel.Warning, "History journal {Directory}: a committed segment could not be deleted; the next start writes it again (the store skips rows it has)")]
    public static partial void HistoryJournalNotDeleted(ILogger logger, string directory, Exception exception);

    [LoggerMessage(311, LogLevel.Information, "History journal: {Rows} vitals of the previous run written to the store from {Directory}")]
    public static partial void HistoryJournalReplayed(ILogger logger, int rows, string directory);

    [LoggerMessage(320, LogLevel.Warning, "InfluxDB {Url} unreachable: {Reason}; buffering on disk and retrying")]
    public static partial void InfluxDown(ILogger logger, string url, string reason);

    [LoggerMessage(321, LogLevel.Information, "InfluxDB {Url} reachable again after {Outage}; {Pending} buffered points being sent")]
    public static partial void InfluxUp(ILogger logger, string url, TimeSpan outage, long pending);

    [LoggerMessage(322, LogLevel.Error, "InfluxDB refused a batch of {Points} points as invalid (HTTP {Status}: {Reason}); not retried, kept as rejected/{File}")]
    public static partial void InfluxRejected(ILogger logger, int points, int status, string reason, string file);

    [LoggerMessage(323, LogLevel.Warning, "Time-series points are being dropped ({Reason}); {Total} dropped since start")]
    public static partial void InfluxDropping(ILogger logger, string reason, long total);

    [LoggerMessage(324, LogLevel.Information, "Time-series buffer has room again; {Total} points dropped since start")]
    public static partial void InfluxBufferHasRoom(ILogger logger, long total);

    [LoggerMessage(325, LogLevel.Information, "Time-series sink resuming with {Points} buffered points ({Bytes} bytes) from a previous run")]
    public static partial void InfluxResuming(ILogger logger, long points, long bytes);

    [LoggerMessage(326, LogLevel.Error, "Time-series sink loop failed; retrying")]
    public static partial void InfluxLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(327, LogLevel.Error, "Time-series sink could not buffer {Count} points at shutdown")]
    public static partial void InfluxFlushFailed(ILogger logger, int count, Exception exception);

    // 500–599: dashboard pages (layout, reports).
    [LoggerMessage(500, LogLevel.Information, "Dashboard: times shown in {TimeZone}, {Wards} ward group(s) configured")]
    public static partial void DashboardTimeZone(ILogger logger, string timeZone, int wards);

    [LoggerMessage(501, LogLevel.Information, "Night report {Night} for {Scope} downloaded ({Rows} rows)")]
    public static partial void NightReportDownloaded(ILogger logger, DateOnly night, string scope, int rows);

    [LoggerMessage(200, LogLevel.Information, "Bed {Bed}: sequence gap {FromSeq}-{ToSeq} opened; waiting for the edge to replay it")]
    public static partial void DeliveryGapOpened(ILogger logger, string bed, long fromSeq, long toSeq);

    [LoggerMessage(201, LogLevel.Information, "Bed {Bed}: every gap filled; complete up to sequence {LastSeq} ({Received} received)")]
    public static partial void DeliveryGapClosed(ILogger logger, string bed, long lastSeq, long received);

    [LoggerMessage(202, LogLevel.Warning, "Bed {Bed}: {Lost} sequence number(s) declared lost by the edge (gap report {FromSeq}-{ToSeq}, {Count} dropped there, reason {Reason})")]
    public static partial void DeliveryLost(ILogger logger, string bed, long lost, long fromSeq, long toSeq, long count, string reason);

    [LoggerMessage(203, LogLevel.Warning, "Bed {Bed}: the edge restarted its sequence (was {LastSeq}, now {NewSeq}), it has no journal; {Lost} missing sequence number(s) are lost")]
    public static partial void DeliverySequenceReset(ILogger logger, string bed, long lastSeq, long newSeq, long lost);

    [LoggerMessage(204, LogLevel.Warning, "Bed {Bed}: clock jump between sequence {PrevSeq} and {Seq}: event time moved {StepSeconds} s; flagged as a technical problem, ordering stays by sequence")]
    public static partial void ClockJump(ILogger logger, string bed, long prevSeq, long seq, double stepSeconds);

    [LoggerMessage(205, LogLevel.Error, "Missing sequence range {FromSeq}-{ToSeq} declared lost: more than {MaxRanges} missing ranges on one bed")]
    public static partial void DeliveryMissingBound(ILogger logger, long fromSeq, long toSeq, int maxRanges);

    [LoggerMessage(206, LogLevel.Information, "Delivery state of {Beds} bed(s) loaded from {Path}")]
    public static partial void DeliveryStateLoaded(ILogger logger, int beds, string path);

    [LoggerMessage(207, LogLevel.Error, "Delivery state {Path} is unreadable ({Reason}); moved to {Aside}, accounting restarts")]
    public static partial void DeliveryStateCorrupt(ILogger logger, string path, string aside, string reason);

    [LoggerMessage(208, LogLevel.Error, "Saving the delivery state failed: {Reason}; messages stay unacknowledged and the broker redelivers them")]
    public static partial void DeliveryCheckpointFailed(ILogger logger, string reason);

    [LoggerMessage(209, LogLevel.Warning, "Bed {Bed}: sequence {FromSeq}-{ToSeq} still missing with no replay filling it; asked the edge to resend")]
    public static partial void ResendRequested(ILogger logger, string bed, long fromSeq, long toSeq);

    // 400–499: alarms and the Architect interlock.
    [LoggerMessage(400, LogLevel.Warning, "Alarm {Id} raised: {Type} ({Priority}) on {Target}")]
    public static partial void AlarmRaised(ILogger logger, string id, string type, string priority, string target);

    [LoggerMessage(401, LogLevel.Warning, "Alarm {Id} ({Type} on {Target}) unacknowledged: re-notified")]
    public static partial void AlarmRenotified(ILogger logger, string id, string type, string target);

    [LoggerMessage(402, LogLevel.Error, "Alarm {Id} ({Type} on {Target}) unacknowledged: escalated to supervisors")]
    public static partial void AlarmEscalated(ILogger logger, string id, string type, string target);

    [LoggerMessage(403, LogLevel.Warning, "Alarm {Id} ({Type} on {Target}) is chattering")]
    public static partial void AlarmChattering(ILogger logger, string id, string type, string target);

    [LoggerMessage(404, LogLevel.Information, "Late data: {Type} on bed {Bed} at {EventTime:o} is older than the bed's newest data ({Newest:o}) minus Alarms:LateBound; no new alarm. Further late assessments of this bed are only counted.")]
    public static partial void AlarmLateIgnored(ILogger logger, string type, string bed, DateTimeOffset eventTime, DateTimeOffset newest);

    [LoggerMessage(405, LogLevel.Error, "Alarm store could not write alarm {Id}; the change is kept in memory")]
    public static partial void AlarmStoreFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(406, LogLevel.Error, "Action on {Id} could not be stored; nothing changed")]
    public static partial void AlarmActionFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(407, LogLevel.Error, "An alarm listener failed for alarm {Id}")]
    public static partial void AlarmNotifyFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(408, LogLevel.Error, "Alarm clock round failed; retrying at the next tick")]
    public static partial void AlarmTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(409, LogLevel.Warning, "Hub publish to {Topic} failed: {Reason}; kept queued")]
    public static partial void HubPublishFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(410, LogLevel.Error, "Hub publish queue full: dropped the oldest message (to {Topic})")]
    public static partial void HubPublishDropped(ILogger logger, string topic);

    [LoggerMessage(411, LogLevel.Error, "Alarm webhook gave up on alarm {Id} ({State}): {Reason}; dead-lettered")]
    public static partial void AlarmWebhookDeadLetter(ILogger logger, string id, string state, string reason);

    [LoggerMessage(412, LogLevel.Warning, "Architect {Action} for bed {Bed} requested by {User} (command {CommandId})")]
    public static partial void ArchitectCommand(ILogger logger, string action, string bed, string user, string commandId);

    // 600–629: MQTT connections of the hub (subscriber: EventIds 2 and 3 above; publisher) and what they carry.
    [LoggerMessage(600, LogLevel.Information, "MQTT {Connection} connected to {Broker} (session present: {SessionPresent})")]
    public static partial void MqttConnected(ILogger logger, string connection, string broker, bool sessionPresent);

    [LoggerMessage(601, LogLevel.Warning, "MQTT {Connection} cannot reach {Broker}: {Reason}; next attempt in {RetryIn}")]
    public static partial void MqttConnectFailed(ILogger logger, string connection, string broker, string reason, TimeSpan retryIn);

    [LoggerMessage(602, LogLevel.Warning, "MQTT {Connection} lost its connection to {Broker}: {Reason}; reconnecting")]
    public static partial void MqttConnectionLost(ILogger logger, string connection, string broker, string reason);

    [LoggerMessage(603, LogLevel.Warning, "MQTT {Connection}: {Broker} did not answer a ping within {Timeout}; dropping the connection")]
    public static partial void MqttPingUnanswered(ILogger logger, string connection, string broker, TimeSpan timeout);

    [LoggerMessage(604, LogLevel.Error, "Hub publish to {Topic} refused by the broker ({Reason}); dropped, not retried")]
    public static partial void HubPublishRefused(ILogger logger, string topic, string reason);

    [LoggerMessage(605, LogLevel.Warning, "Resend requests failed: {Reason}; trying again in a second")]
    public static partial void ResendFailed(ILogger logger, string reason);

    [LoggerMessage(606, LogLevel.Information, "MQTT {Connection}: brokers {Brokers}, MQTT {Version}, client id {ClientId}")]
    public static partial void MqttConfigured(ILogger logger, string connection, string brokers, string version, string clientId);

    // 800–829: sleepers, admissions, nights of record, study.
    [LoggerMessage(800, LogLevel.Error, "Night store write failed; {Nights} nights ({Epochs} epochs) kept queued and retried (live scoring unaffected)")]
    public static partial void NightWriteFailed(ILogger logger, int nights, int epochs, Exception exception);

    [LoggerMessage(801, LogLevel.Information, "Night store writes succeed again after {Outage}; {Epochs} epochs still queued")]
    public static partial void NightWritesRecovered(ILogger logger, TimeSpan outage, int epochs);

    [LoggerMessage(802, LogLevel.Warning, "Night queue full ({Epochs} epochs waiting): new epochs are dropped from the nights of record (live scoring unaffected); {Total} dropped since start")]
    public static partial void NightQueueFull(ILogger logger, int epochs, long total);

    [LoggerMessage(803, LogLevel.Information, "Night queue has room again; {Total} epochs dropped since start")]
    public static partial void NightQueueHasRoom(ILogger logger, long total);

    [LoggerMessage(804, LogLevel.Error, "Night store could not be written at shutdown; {Nights} nights ({Epochs} epochs) not written")]
    public static partial void NightFlushFailed(ILogger logger, int nights, int epochs, Exception exception);

    [LoggerMessage(805, LogLevel.Information, "Store retention: deleted {Nights} nights of record that began before {Before:o}")]
    public static partial void NightsPruned(ILogger logger, int nights, DateTimeOffset before);

    [LoggerMessage(806, LogLevel.Information, "Sleeper {Sleeper} created by {User}")]
    public static partial void SleeperCreated(ILogger logger, string sleeper, string user);

    [LoggerMessage(807, LogLevel.Information, "Sleeper {Sleeper}: program changed by {User}")]
    public static partial void SleeperProgramChanged(ILogger logger, string sleeper, string user);

    [LoggerMessage(808, LogLevel.Information, "Admission {Action}: sleeper {Sleeper}, bed {Bed} of {Facility}, by {User}")]
    public static partial void AdmissionChanged(ILogger logger, string action, string sleeper, string facility, string bed, string user);

    [LoggerMessage(809, LogLevel.Error, "A sleeper or admission change could not be stored; nothing changed")]
    public static partial void SleeperStoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(810, LogLevel.Information, "Study {From}–{To} downloaded as CSV ({Rows} sleepers)")]
    public static partial void StudyDownloaded(ILogger logger, DateOnly from, DateOnly to, int rows);

    // 830–849: nights of record on the live path (restore at start-up).
    [LoggerMessage(830, LogLevel.Information, "Restored {Nights} open nights of record in {Seconds:0.00} s: {Replayed} replayed from {Messages} stored vitals, {Resumed} resumed from their stored epochs, {Closed} closed as stored")]
    public static partial void NightsRestored(ILogger logger, int nights, double seconds, int replayed, long messages, int resumed, int closed);

    [LoggerMessage(831, LogLevel.Error, "The open night of bed {Bed} of {Facility} could not be restored; its night starts afresh")]
    public static partial void NightRestoreFailed(ILogger logger, string facility, string bed, Exception exception);

    [LoggerMessage(832, LogLevel.Warning, "Night {Night}: the stored vitals no longer cover it; resumed from its {Epochs} stored epochs (scoring starts afresh after them)")]
    public static partial void NightResumedFromStore(ILogger logger, string night, int epochs);

    // 860–879: the demo's story (sleepers, history).
    [LoggerMessage(860, LogLevel.Information, "Demo story: {Sleepers} sleepers in their beds ({Admitted} admitted now): {Architect} Architect users, {Companions} Companions, {Switchers} switching from the Architect to Companions")]
    public static partial void DemoCast(ILogger logger, int sleepers, int admitted, int architect, int companions, int switchers);

    [LoggerMessage(861, LogLevel.Information, "Demo history: simulating {Nights} past nights for each of {Sleepers} sleepers before the live night starts ({Skipped} already have nights of record)")]
    public static partial void DemoHistoryStarted(ILogger logger, int nights, int sleepers, int skipped);

    [LoggerMessage(862, LogLevel.Information, "Demo history: {Nights} past nights of {Sleepers} sleepers simulated, scored and written in {Elapsed} (process CPU {Cpu} on {Cores} cores)")]
    public static partial void DemoHistoryWritten(ILogger logger, int nights, int sleepers, TimeSpan elapsed, TimeSpan cpu, int cores);

    [LoggerMessage(863, LogLevel.Error, "Demo story could not be written; the live night starts without it")]
    public static partial void DemoStoryFailed(ILogger logger, Exception exception);

    [LoggerMessage(864, LogLevel.Warning, "Demo sleeper {Sleeper} not admitted to bed {Bed}: {Reason}")]
    public static partial void DemoAdmissionSkipped(ILogger logger, string sleeper, string bed, string reason);

    [LoggerMessage(865, LogLevel.Warning, "Demo history: the store refused a write ({Reason}); {Nights} nights stay queued for the night writer")]
    public static partial void DemoHistoryQueued(ILogger logger, int nights, string reason);

    [LoggerMessage(700, LogLevel.Warning, "User name {User} locked out until {Until:o} after {Failures} failed sign-ins (the last from {Address})")]
    public static partial void UserLockedOut(ILogger logger, string user, DateTimeOffset until, int failures, string address);

    [LoggerMessage(701, LogLevel.Debug, "Sign-in attempt from {Address} refused with 429: {Reason}")]
    public static partial void SignInThrottled(ILogger logger, string address, string reason);

    [LoggerMessage(702, LogLevel.Warning, "Lockout of user name {User} lifted by {By}")]
    public static partial void LockoutLifted(ILogger logger, string user, string by);

    // 900-929: the shared store (Store:Provider postgres) and store outages.
    [LoggerMessage(900, LogLevel.Information, "Shared store {Store}: applied schema step {Version} ({Name})")]
    public static partial void SharedStoreMigrated(ILogger logger, string store, int version, string name);

    [LoggerMessage(901, LogLevel.Information, "Shared store {Store} open (schema version {Version})")]
    public static partial void SharedStoreOpened(ILogger logger, string store, int version);

    [LoggerMessage(902, LogLevel.Warning, "Shared store {Store} unreachable (attempt {Attempt}: {Reason}); retrying in {Delay}, giving up in {Left} (Store:StartupTimeout)")]
    public static partial void SharedStoreUnreachable(ILogger logger, string store, int attempt, string reason, TimeSpan delay, TimeSpan left);

    [LoggerMessage(903, LogLevel.Critical, "Shared store {Store} still unreachable after {Timeout} (Store:StartupTimeout, {Attempts} attempts; last: {Reason}); check Store:ConnectionString and the server. The hub stops")]
    public static partial void SharedStoreGaveUp(ILogger logger, string store, TimeSpan timeout, int attempts, string reason);

    [LoggerMessage(904, LogLevel.Critical, "Shared store {Store} (Store:ConnectionString) cannot be used: {Reason}. The hub stops")]
    public static partial void SharedStoreOpenFailed(ILogger logger, string store, string reason, Exception exception);

    [LoggerMessage(905, LogLevel.Warning, "Alarm store unreachable ({Reason}): {Queued} changes kept in memory, retried in {Delay}")]
    public static partial void AlarmStoreUnreachable(ILogger logger, string reason, int queued, TimeSpan delay);

    [LoggerMessage(906, LogLevel.Information, "Alarm store writes succeed again after {Outage}; the changes kept meanwhile are written")]
    public static partial void AlarmStoreRecovered(ILogger logger, TimeSpan outage);

    [LoggerMessage(750, LogLevel.Information, "User {User} added as {Role} by {By}")]
    public static partial void UserAdded(ILogger logger, string user, string role, string by);

    [LoggerMessage(751, LogLevel.Information, "User {User} removed by {By}")]
    public static partial void UserRemoved(ILogger logger, string user, string by);

    [LoggerMessage(752, LogLevel.Information, "User {User} is now {Role} (changed by {By})")]
    public static partial void UserRoleChanged(ILogger logger, string user, string role, string by);

    [LoggerMessage(753, LogLevel.Information, "Password of user {User} changed by {By}")]
    public static partial void UserPasswordChanged(ILogger logger, string user, string by);

    [LoggerMessage(754, LogLevel.Information, "The store had no users: {Count} added from Auth:Users")]
    public static partial void UsersSeeded(ILogger logger, int count);

    [LoggerMessage(755, LogLevel.Warning, "Auth:Users lists {User} as {Configured} but the store has {Stored}: the store is used (Auth:Users only fills a store that has no users; docs/operations.md, \"Users\")")]
    public static partial void ConfiguredUserDiffers(ILogger logger, string user, string configured, string stored);

    [LoggerMessage(756, LogLevel.Warning, "No users: nobody can sign in. Add a supervisor: somnis-hub users add NAME --role supervisor (password on standard input)")]
    public static partial void NoUsers(ILogger logger);

    [LoggerMessage(757, LogLevel.Information, "Password hash of user {User} replaced by the current format at sign-in")]
    public static partial void PasswordRehashed(ILogger logger, string user);

    [LoggerMessage(758, LogLevel.Information, "Sessions of user {User} ended: {Reason}")]
    public static partial void SessionsEnded(ILogger logger, string user, string reason);

    [LoggerMessage(759, LogLevel.Error, "Reading the users from the store failed; sessions are checked against what was read before")]
    public static partial void UsersRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(760, LogLevel.Information, "User change by {By} refused ({Status}): {Reason}")]
    public static partial void UserChangeRefused(ILogger logger, string by, int status, string reason);

    [LoggerMessage(761, LogLevel.Error, "A user change could not be stored; nothing changed")]
    public static partial void UserStoreFailed(ILogger logger, Exception exception);

    // ---- cluster (Cluster/, docs/high-availability.md) ---------------------------------------------------------------

    [LoggerMessage(910, LogLevel.Information, "Lease acquired: node {Node} is active (term {Term})")]
    public static partial void LeaseAcquired(ILogger logger, string node, long term);

    [LoggerMessage(911, LogLevel.Information, "Lease lost: node {Node} steps down ({Reason}); role {Role}")]
    public static partial void LeaseLost(ILogger logger, string node, string reason, string role);

    [LoggerMessage(912, LogLevel.Information, "Lease renewed again: node {Node} is active again under the same term {Term}; what it held is written and sent")]
    public static partial void LeaseRenewedAgain(ILogger logger, string node, long term);

    [LoggerMessage(913, LogLevel.Information, "Lease released: node {Node} gives up term {Term} as it stops; a standby takes over at once")]
    public static partial void LeaseReleased(ILogger logger, string node, long term);

    [LoggerMessage(914, LogLevel.Warning, "Lease: node {Node} cannot reach the shared store ({Reason}); an active node stops acting at its deadline")]
    public static partial void LeaseStoreUnreachable(ILogger logger, string node, string reason);

    [LoggerMessage(915, LogLevel.Information, "Lease: node {Node} reaches the shared store again")]
    public static partial void LeaseStoreReachable(ILogger logger, string node);

    [LoggerMessage(916, LogLevel.Error, "Lease round failed; the next round tries again")]
    public static partial void LeaseRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(917, LogLevel.Information, "Takeover by node {Node} (term {Term}): {Open} open alarms loaded from the store, {Raised} conditions that hold raised")]
    public static partial void TakeoverLoaded(ILogger logger, string node, long term, int open, int raised);

    [LoggerMessage(918, LogLevel.Warning, "Write refused by the fence ({Reason}): {Count} alarm changes of a node that is no longer active are dropped, not notified")]
    public static partial void AlarmChangesFenced(ILogger logger, string reason, int count);

    [LoggerMessage(919, LogLevel.Critical, "Another hub named '{Node}' is running (instance {Instance}, seen {Age:0.0} s ago by the store): every node needs its own name. Set Hub:Node (--node NAME). The hub stops")]
    public static partial void NodeNameTaken(ILogger logger, string node, string instance, double age);

    [LoggerMessage(920, LogLevel.Information, "Node {Node} waits for the row of its previous run to age ({Age:0.0} s since its last heartbeat)")]
    public static partial void NodeNameWaiting(ILogger logger, string node, double age);

    [LoggerMessage(921, LogLevel.Information, "Cluster: node {Node} (instance {Instance}) joins as standby; lease time {LeaseTime}, renewed every {RenewEvery}")]
    public static partial void ClusterJoined(ILogger logger, string node, string instance, TimeSpan leaseTime, TimeSpan renewEvery);

    [LoggerMessage(922, LogLevel.Critical, "Cluster start failed: the shared store cannot be used ({Reason}). The hub stops")]
    public static partial void ClusterJoinFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(923, LogLevel.Information, "Takeover by node {Node}: {Nights} open nights stored again as this node scored them (the epochs since the old active's last write included)")]
    public static partial void TakeoverNightsRecorded(ILogger logger, string node, int nights);
}
