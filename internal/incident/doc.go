// Package incident scopes a web-skimming incident from skimwatch's own
// record: the exposure window (when the malicious artifact was first and
// last served, as bounds each backed by event-log entries), and the orders
// and registrations that passed through a tampered page inside it.
//
// The model (Incident, Window, Bound, Citation, AffectedOrder, Customer,
// Counts) is read by the document writers in incident/report, so its field
// names are kept stable: fields are added, never renamed.
//
// Every fact in a Window cites the events it comes from by Seq and Hash;
// Verify re-checks those citations against the chain, so a report built
// from an Incident can be proven against the log it came from.
package incident
