// Package honey makes the synthetic customer a browser check types into a
// page (a test card and unique personal data) and finds those values again in
// whatever the page sends, however the sender encoded them.
//
// # Identities
//
// Every Identity is unique to one check: its check ID is embedded in the
// family name, holder, email and address, and the card number, phone and
// password are drawn at random. A value found in a request therefore traces
// back to the check that typed it. No value is real: the card number comes
// from the universal Visa test range, the email domain from RFC 2606's
// .example, and the phone number from Tokyo's 03-1XXX-XXXX block, which the
// numbering plan never assigns (DefaultPhonePrefix). The CVV, expiry and postcode cannot be unique (there are too few
// of them); the matcher treats them with care, below.
//
// # Matching
//
// A payload is a tree of layers. The root is the payload itself; each child
// is the payload with one encoding undone:
//   - URL escapes (%XX, %uXXXX); "+" for space is searched for directly,
//     since decoding it would break base64;
//   - JSON and JavaScript string escapes (\uXXXX with surrogate pairs, \xHH,
//     \n ...); units up to \u00ff become single bytes, as XORed strings use them;
//   - UTF-8 of U+0080..U+00FF back to single bytes ("utf8"), for XORed
//     strings sent as text;
//   - base64, standard and URL alphabets, padded or not, per run of base64
//     characters at all four alignments, so an encoding is found whatever
//     precedes it in the run; runs are also read reversed ("reversed>base64");
//   - hex, either case, per run at both alignments;
//   - lists of character codes ("52,49,49,49", from charCodeAt or a
//     Uint8Array turned to text), at least 7 long ("charcodes").
//
// Children are decoded again, up to MaxDepth levels (default 3). Below base64
// and hex only stretches of printable text are decoded further (a wrong
// alignment gives random bytes, and every encoding is text); escapes are
// decoded only in windows around credible escapes.
//
// Every layer is searched once for every long value (8 bytes or more) and its
// variants (card numbers in groups of four with spaces or dashes, phone
// numbers with dashes or +81, "+" for space), forward and reversed, under all
// 255 single-byte XOR keys at once: the search keys on the XOR of each byte
// with the next, which no XOR key changes, and a candidate is checked byte by
// byte and its key read off. The same pass does the same for a constant added
// to every byte (String.fromCharCode(c + k), a Caesar shift), keyed on the
// differences of neighbouring bytes. Match.Encoding lists what was undone,
// outermost first, e.g. "base64>xor(0x5a)>reversed", "hex>add(0x03)", or
// "raw".
//
// # Short values
//
// The CVV, the expiry date (MM/YY, MMYY, MM/YYYY and similar, and the year
// alone for forms with separate month and year fields), the postcode, and any
// value under 8 bytes are too common as digits to count on their own. Such a
// value is reported only
//   - within ShortWindow (64) bytes of a long value found in the same layer
//     and encoded the same way (same XOR or added key, same direction), or
//   - as an explicit field: right after a key naming it and "=", ":" or ">"
//     (cvv=123, "cvc": "123", card[exp]=07/29, <zip>100-0001), where the key
//     contains cvv, cvc, csc, cvn, securitycode ... for the CVV; exp, valid,
//     mmyy for the expiry; zip, postal, postcode, yubin for the postcode;
//
// and never inside a longer run of digits, unless the neighbouring digits
// belong to the anchoring long value or another short value next to it (a
// card number, CVV and expiry sent as one string of digits).
//
// # Limits
//
// Each payload is searched up to MatcherOptions.MaxPayload bytes (default
// 8 MiB), decoded up to MaxDepth levels and MaxDecoded bytes of decoded layers
// (default 32 MiB). Scan says in Result.Incomplete when a limit cut a search
// short. Values under 3 bytes are never searched.
package honey
