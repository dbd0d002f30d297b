// Package check is the browser check's pipeline, one package per stage, in
// the order a check runs:
//
//  1. browser: the Chromium process and the DevTools message routing that
//     sees every frame, worker and window from its first request;
//  2. pagecheck: one check of a page or flow: capture what the page runs and
//     sends, and drive the probe (guarding the live shop while it types);
//  3. form and honey: which fields are card and personal data, and the test
//     customer typed into them, with the matcher that finds those values in
//     whatever leaves the browser;
//  4. observation: the plain record of one check, which the later stages
//     read without importing the earlier ones;
//  5. inventory: the approved baseline, its normalisation, and the diff;
//  6. verdict: the check's rules, which turn an observation and its diff
//     into findings with a severity;
//  7. checkrun: many targets at once, one report, and approval only of
//     complete checks, for the CLI, the demo and the service's jobs alike.
//
// The other detectors keep their rules in the same kind of place: the file
// verdict.go of fim and of collector.
package check
