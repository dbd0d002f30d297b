// Package web is the dashboard: server-rendered pages embedded in the
// binary (html/template, one CSS file, no build step, no CDN) and the JSON
// API under /api/ with the same authorisation.
//
// # Adding a page
//
//  1. Register its routes in your own file's route function (findings.go
//     has findingRoutes, inventory.go has inventoryRoutes; routes.go calls
//     them). Wrap every handler in s.requireRole(RoleViewer|RoleOperator|
//     RoleAdmin, h): pages redirect an anonymous visitor to /login, the API
//     answers 401; a lower role gets 403.
//  2. Put its template in templates/NAME.html, defining {{define "title"}}
//     and {{define "content"}}; the layout (templates/layout.html) wraps it.
//     Files named templates/_*.html are partials shared by every page.
//     Render it with s.render(w, r, "NAME.html", data); the template sees a
//     *view: .Data is your data, {{.T "key"}} a message in the reader's
//     language, .Nonce the CSP nonce for a <script nonce="{{.Nonce}}">
//     (inline handlers and inline styles are refused by the CSP), .User
//     the signed-in user, and .Pager helps with pagination (see pager.go).
//  3. Messages: put yours in your own messages_NAME.go as a function
//     returning map[lang]map[key]text for "en" and "ja"; New merges them
//     (see messages.go). A missing key renders as the key itself, and
//     TestMessagesHaveBothLanguages fails on a key present in only one.
//  4. JSON: register it under /api/ and write it with s.writeJSON, which
//     goes through termtext.WriteJSON. The same requireRole applies: a
//     session cookie or "Authorization: Bearer <token>" authenticates.
//  5. Every decision (approve, justify, acknowledge, dismiss ...) calls
//     s.event(ctx, r, type, site, data), which appends an event-log entry
//     naming the signed-in user as its actor.
//
// State-changing routes need nothing more: the whole handler sits behind
// http.CrossOriginProtection, and every response carries a strict CSP with
// a per-request nonce (see csp.go). The forms that hand out or change a
// credential (sign-in, set-up, password change) also carry a form token:
// put <input type="hidden" name="form_token" value="{{.FormToken}}"> in the
// form and check formTokenOK(r) after parsing it (formtoken.go).
package web
