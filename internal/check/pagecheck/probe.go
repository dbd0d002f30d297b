package pagecheck

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp/kb"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/form"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	weborigin "github.com/skimwatch/skimwatch/internal/origin"
)

// collectJS lists the forms and fields of one frame's document and keeps
// the elements in the isolated world's global, so later calls can find
// them again by index. It reads attributes with getAttribute, because a
// field named "action" or "id" shadows a form's properties.
const collectJS = `(() => {
  const txt = s => (s || '').replace(/\s+/g, ' ').trim().slice(0, 120);
  const vis = el => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && cs.visibility !== 'hidden' && cs.display !== 'none' && parseFloat(cs.opacity || '1') > 0.05; };
  const labelOf = el => {
    let t = '';
    if (el.labels && el.labels.length) t = Array.from(el.labels).map(l => l.textContent).join(' ');
    const lb = el.getAttribute('aria-labelledby');
    if (!t && lb) t = lb.split(/\s+/).map(id => { const n = document.getElementById(id); return n ? n.textContent : ''; }).join(' ');
    // Preceding text, up to the previous control: never another field's label.
    const ctl = n => n.nodeType === 1 && (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(n.tagName) || n.querySelector('input, select, textarea, button'));
    for (let n = el.previousSibling, i = 0; !txt(t) && n && i < 4; n = n.previousSibling, i++) {
      if (ctl(n)) break;
      if (n.nodeType === 3) t = n.textContent;
      else if (n.nodeType === 1 && !/^(SCRIPT|STYLE)$/.test(n.tagName)) t = n.textContent;
    }
    if (!txt(t) && el.parentElement && el.parentElement.children.length <= 3) {
      for (const n of el.parentElement.childNodes) { if (n === el) break; if (n.nodeType === 3 || n.nodeType === 1 && !/^(INPUT|SELECT|TEXTAREA)$/.test(n.tagName)) t += ' ' + n.textContent; }
    }
    return txt(t);
  };
  const abs = (a) => { try { return new URL(a || location.href, document.baseURI).href; } catch (e) { return a || ''; } };
  const fields = [], forms = [], keys = new Map();
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || (el.tagName === 'INPUT' ? 'text' : el.tagName.toLowerCase())).toLowerCase();
    if (/^(hidden|submit|button|reset|image|file|checkbox|radio|range|color)$/.test(type)) continue;
    const f = el.form || null;
    if (!keys.has(f)) {
      keys.set(f, forms.length);
      forms.push({ id: f ? f.getAttribute('id') || '' : '', name: f ? f.getAttribute('name') || '' : '',
        action: f ? abs(f.getAttribute('action')) : '', method: f ? (f.getAttribute('method') || 'get').toLowerCase() : '', fields: [] });
    }
    const i = fields.length; fields.push(el);
    const opts = el.tagName === 'SELECT' ? Array.from(el.options).slice(0, 120).map(o => [o.value, txt(o.textContent)]) : null;
    forms[keys.get(f)].fields.push({ idx: i, tag: el.tagName.toLowerCase(), type, name: el.getAttribute('name') || '', id: el.getAttribute('id') || '',
      autocomplete: el.getAttribute('autocomplete') || '', placeholder: el.getAttribute('placeholder') || '', label: labelOf(el),
      aria: el.getAttribute('aria-label') || '', title: el.getAttribute('title') || '', inputmode: el.getAttribute('inputmode') || '',
      maxlength: el.maxLength > 0 ? el.maxLength : 0, cls: el.getAttribute('class') || '', visible: vis(el),
      disabled: !!(el.disabled || el.readOnly), filled: !!el.value, selected: el.tagName === 'SELECT' ? el.selectedIndex : -1, options: opts });
  }
  globalThis.__skimwatch = { fields, url: location.href };
  // Texts of inline script elements now in the DOM: code with no URL that
  // matches one was inserted as a <script>, not eval'd.
  let budget = 4 << 20;
  const inline = [];
  for (const s of document.scripts) { if (s.src) continue; const t = s.text; if (t.length > budget) break; budget -= t.length; inline.push(t); }
  return { url: location.href, forms, inline };
})()`

type jsField struct {
	Idx          int        `json:"idx"`
	Tag          string     `json:"tag"`
	Type         string     `json:"type"`
	Name         string     `json:"name"`
	ID           string     `json:"id"`
	Autocomplete string     `json:"autocomplete"`
	Placeholder  string     `json:"placeholder"`
	Label        string     `json:"label"`
	Aria         string     `json:"aria"`
	Title        string     `json:"title"`
	InputMode    string     `json:"inputmode"`
	MaxLength    int        `json:"maxlength"`
	Class        string     `json:"cls"`
	Visible      bool       `json:"visible"`
	Disabled     bool       `json:"disabled"`
	Filled       bool       `json:"filled"`
	Selected     int        `json:"selected"`
	Options      [][]string `json:"options"`
	class        string
}

type jsForm struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Action string    `json:"action"`
	Method string    `json:"method"`
	Fields []jsField `json:"fields"`
}

type jsDoc struct {
	URL    string   `json:"url"`
	Forms  []jsForm `json:"forms"`
	Inline []string `json:"inline"`
}

// frameDoc is one frame's document as the probe sees it.
type frameDoc struct {
	session *browser.Session
	frameID string
	origin  string
	ctxID   runtime.ExecutionContextID
	doc     jsDoc
}

// world creates an isolated world in a frame: page scripts cannot see or
// tamper with what runs there, and its scripts are dropped from capture.
func (d *driver) world(ctx context.Context, s *browser.Session, frameID string) (runtime.ExecutionContextID, error) {
	res, err := cdp.Call(ctx, s, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: cdp.FrameID(frameID), WorldName: "skimwatch"})
	if err != nil {
		return 0, err
	}
	return res.ExecutionContextID, nil
}

func (d *driver) eval(ctx context.Context, s *browser.Session, ctxID runtime.ExecutionContextID, expr string, byValue bool) (*runtime.RemoteObject, error) {
	res, err := cdp.Call(ctx, s, runtime.Evaluate, runtime.EvaluateParams{
		Expression: expr + "\n//# sourceURL=" + d.rec.internal, ContextID: ctxID, ReturnByValue: ptr(byValue),
		Silent: ptr(true),
	})
	if err != nil {
		return nil, err
	}
	if res.ExceptionDetails != nil {
		return nil, fmt.Errorf("evaluating in page: %s", res.ExceptionDetails.Text)
	}
	return res.Result, nil
}

// frames lists the frames of the page session and of the iframe sessions.
func (d *driver) frames(ctx context.Context) []frameDoc {
	var out []frameDoc
	sessions := append([]*browser.Session{d.tab.Page()}, d.rec.iframeSessions()...)
	for _, s := range sessions {
		tree, err := cdp.Call(ctx, s, page.GetFrameTree, cdp.Empty{})
		if err != nil || tree.FrameTree == nil {
			continue
		}
		var walk func(ft *page.FrameTree)
		walk = func(ft *page.FrameTree) {
			if ft.Frame != nil {
				out = append(out, frameDoc{session: s, frameID: string(ft.Frame.ID), origin: ft.Frame.SecurityOrigin})
			}
			for _, c := range ft.ChildFrames {
				walk(c)
			}
		}
		walk(tree.FrameTree)
	}
	return out
}

// collect reads the forms of every frame, classifies the fields, and adds
// them to the observation. Frames that belong to another process fail
// here and are read through their own session.
func (d *driver) collect(ctx context.Context) []*frameDoc {
	var docs []*frameDoc
	seen := map[string]bool{}
	for _, fd := range d.frames(ctx) {
		if seen[fd.frameID] {
			continue
		}
		cid, err := d.world(ctx, fd.session, fd.frameID)
		if err != nil {
			continue
		}
		obj, err := d.eval(ctx, fd.session, cid, collectJS, true)
		if err != nil {
			d.log.Debug("collecting forms", "frame", fd.frameID, "err", err)
			continue
		}
		fd := fd
		if err := browser.Unmarshal(obj.Value, &fd.doc); err != nil {
			continue
		}
		seen[fd.frameID] = true
		fd.ctxID = cid
		for i := range fd.doc.Forms {
			for j := range fd.doc.Forms[i].Fields {
				f := &fd.doc.Forms[i].Fields[j]
				f.class = classify(f)
			}
		}
		docs = append(docs, &fd)
		d.rec.addForms(&fd)
	}
	return docs
}

// addForms records a document's forms once per step.
func (r *recorder) addForms(fd *frameDoc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range fd.doc.Inline {
		r.domScripts[sha(t)] = true
	}
	for _, jf := range fd.doc.Forms {
		if len(jf.Fields) == 0 {
			continue
		}
		f := observation.Form{
			DocumentURL: fd.doc.URL, FrameID: fd.frameID, FrameOrigin: fd.origin,
			ID: jf.ID, Name: jf.Name, Action: jf.Action, Method: jf.Method, Step: r.step,
		}
		var names []string
		for _, x := range jf.Fields {
			f.Fields = append(f.Fields, observation.Field{
				Name: x.Name, ID: x.ID, Type: x.Type, Autocomplete: x.Autocomplete, Label: x.Label,
				Placeholder: x.Placeholder, Class: x.class, Visible: x.Visible,
			})
			names = append(names, x.Name, x.ID)
		}
		key := fmt.Sprintf("%d|%s|%s|%s|%s|%v", f.Step, f.DocumentURL, f.ID, f.Name, f.Action, names)
		if r.formKeys == nil {
			r.formKeys = map[string]bool{}
		}
		if r.formKeys[key] {
			continue
		}
		r.formKeys[key] = true
		r.forms = append(r.forms, f)
		r.formNames = append(r.formNames, append([]string{jf.ID}, names...))
	}
}

// markInjected flags forms that the served HTML of their document does
// not mention. It runs at the end, once the document bodies have arrived.
// Call with mu.
func (r *recorder) markInjected() {
	stripped := map[string]string{}
	for i := range r.forms {
		doc := r.forms[i].DocumentURL
		served, ok := stripped[doc]
		if !ok {
			served = stripScripts(r.served[doc])
			stripped[doc] = served
		}
		if served == "" || i >= len(r.formNames) {
			continue // body unavailable: unknown, not injected
		}
		r.forms[i].Injected = !servedHas(served, r.formNames[i][0], r.formNames[i][1:])
	}
}

var reScriptElement = regexp.MustCompile(`(?is)<script\b.*?</script\s*>`)

// stripScripts drops script elements: a name that appears only inside a
// script is markup the script builds, not markup the server sent.
func stripScripts(html string) string { return reScriptElement.ReplaceAllString(html, "") }

// servedHas reports whether the served HTML names the form or any of its
// fields: a form none of whose names the server sent was built by a script.
func servedHas(html, formID string, names []string) bool {
	has := func(v string) bool {
		if v == "" {
			return false
		}
		for _, q := range []string{`"` + v + `"`, `'` + v + `'`, `=` + v + ` `, `=` + v + `>`} {
			if strings.Contains(html, q) {
				return true
			}
		}
		return false
	}
	if has(formID) {
		return true
	}
	for _, n := range names {
		if has(n) {
			return true
		}
	}
	return false
}

func (r *recorder) iframeSessions() []*browser.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*browser.Session
	for _, s := range r.childSessions {
		if s.Info().Type == "iframe" {
			out = append(out, s)
		}
	}
	return out
}

// element returns a remote handle on field idx of a collected document.
func (d *driver) element(ctx context.Context, fd *frameDoc, expr string) (runtime.RemoteObjectID, error) {
	obj, err := d.eval(ctx, fd.session, fd.ctxID, expr, false)
	if err != nil {
		return "", err
	}
	if obj.ObjectID == "" {
		return "", errNoElement
	}
	return obj.ObjectID, nil
}

var errNoElement = errors.New("no such element")

// pause waits a human-looking while, or until ctx ends.
func (d *driver) pause(ctx context.Context, min, max time.Duration) error {
	dur := min
	if max > min {
		dur += time.Duration(rand.Int64N(int64(max - min)))
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// typeText sends trusted key events for each character, at human pace.
// Non-ASCII text (a Japanese address) goes in as IME commits do. The
// keyDown, char and keyUp of one keystroke go out back to back and cost
// one round trip; the page still sees them one after the other, trusted.
func (d *driver) typeText(ctx context.Context, s *browser.Session, text string) error {
	for _, r := range text {
		began := time.Now()
		if r > unicode.MaxASCII {
			if _, err := cdp.Call(ctx, s, input.InsertText, input.InsertTextParams{Text: string(r)}); err != nil {
				return err
			}
		} else if err := d.key(ctx, s, r); err != nil {
			return err
		}
		// The key events' own round trip counts towards the pace.
		spent := time.Since(began)
		d.timing.keys += spent
		p0 := time.Now()
		if err := d.pause(ctx, max(d.opts.KeyDelayMin-spent, 0), max(d.opts.KeyDelayMax-spent, 0)); err != nil {
			return err
		}
		d.timing.keyPauses += time.Since(p0)
	}
	return nil
}

// key sends the key events of one keystroke in one batch.
func (d *driver) key(ctx context.Context, s *browser.Session, r rune) error {
	evs := kb.Encode(r)
	cmds := make([]browser.Command, len(evs))
	for i, ev := range evs {
		cmds[i] = browser.Command{Method: input.CommandDispatchKeyEvent, Params: ev}
	}
	return s.Batch(ctx, cmds...)
}

func (d *driver) pressKey(ctx context.Context, s *browser.Session, key rune, times int) error {
	for range times {
		if err := d.key(ctx, s, key); err != nil {
			return err
		}
		if err := d.pause(ctx, d.opts.KeyDelayMin/2, d.opts.KeyDelayMax/2); err != nil {
			return err
		}
	}
	return nil
}

// focus scrolls a field into view and focuses it; the previous field blurs.
func (d *driver) focus(ctx context.Context, fd *frameDoc, obj runtime.RemoteObjectID) error {
	cdp.Call(ctx, fd.session, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{ObjectID: obj})
	if _, err := cdp.Call(ctx, fd.session, dom.Focus, dom.FocusParams{ObjectID: obj}); err != nil {
		return fmt.Errorf("focusing field: %w", err)
	}
	return nil
}

// click presses and releases the mouse over an element's centre.
func (d *driver) click(ctx context.Context, fd *frameDoc, obj runtime.RemoteObjectID) error {
	d.sourcesRead(ctx)
	cdp.Call(ctx, fd.session, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{ObjectID: obj})
	q, err := cdp.Call(ctx, fd.session, dom.GetContentQuads, dom.GetContentQuadsParams{ObjectID: obj})
	if err != nil || len(q.Quads) == 0 || len(q.Quads[0]) < 8 {
		return fmt.Errorf("element has no box to click: %v", err)
	}
	quad := q.Quads[0]
	x := (quad[0] + quad[2] + quad[4] + quad[6]) / 4
	y := (quad[1] + quad[3] + quad[5] + quad[7]) / 4
	for _, t := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMouseMoved, input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
		p := input.DispatchMouseEventParams{Type: t, X: x, Y: y}
		if t != input.DispatchMouseEventTypeMouseMoved {
			p.Button = input.MouseButtonLeft
			p.ClickCount = 1
		}
		// A dialog opened by the click blocks this call until the
		// recorder dismisses it.
		if _, err := cdp.Call(ctx, fd.session, input.DispatchMouseEvent, p); err != nil {
			return fmt.Errorf("clicking: %w", err)
		}
		if t == input.DispatchMouseEventTypeMouseMoved {
			d.pause(ctx, 40*time.Millisecond, 120*time.Millisecond)
		}
	}
	return nil
}

var (
	reFamily = regexp.MustCompile(`(?i)family|last|surname|sei\b|姓`)
	reGiven  = regexp.MustCompile(`(?i)given|first|mei\b|(^|[^氏])名`)
)

// valueFor is what the probe types into a field: the identity's value for
// its class, split for month/year and family/given name fields.
func (d *driver) valueFor(f *jsField) string {
	hints := strings.Join([]string{f.Autocomplete, f.Name, f.ID, f.Label, f.Placeholder, f.Aria}, " ")
	switch f.class {
	case observation.FieldExpiry:
		switch form.ExpiryPart(f.attrs()) {
		case form.PartMonth:
			return d.id.ExpiryMonth
		case form.PartYear:
			if f.MaxLength == 2 {
				return d.id.ExpiryYear[len(d.id.ExpiryYear)-2:]
			}
			return d.id.ExpiryYear // a select matches "29" options too
		}
		return d.id.Expiry()
	case observation.FieldName:
		switch {
		case strings.Contains(f.Autocomplete, "family-name") || reFamily.MatchString(hints):
			return d.id.FamilyName
		case strings.Contains(f.Autocomplete, "given-name") || reGiven.MatchString(hints):
			return d.id.GivenName
		}
	}
	v := d.id.ValueFor(f.class)
	if f.class == observation.FieldExpiry && f.MaxLength > 0 && len(v) > f.MaxLength {
		v = strings.ReplaceAll(v, "/", "")
	}
	return v
}

// optionIndex finds the option of a select that stands for want (a month
// like "05" or a year like "2029"): same digits, or same number.
func optionIndex(options [][]string, want string) int {
	wantN, err := strconv.Atoi(want)
	if err != nil {
		return -1
	}
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	for _, exact := range []bool{true, false} {
		for i, o := range options {
			for _, s := range o {
				d := digits(s)
				if d == "" {
					continue
				}
				if exact && d == want {
					return i
				}
				n, err := strconv.Atoi(d)
				if !exact && err == nil && (n == wantN || len(want) == 4 && n == wantN%100) {
					return i
				}
			}
		}
	}
	return -1
}

// fillField types (or selects) a value into one field like a person.
func (d *driver) fillField(ctx context.Context, fd *frameDoc, f *jsField, value string) error {
	// Deny by default before the first key of a honey value (guard.go).
	d.rec.arm(ctx, "typing honey "+f.class)
	obj, err := d.element(ctx, fd, fmt.Sprintf("globalThis.__skimwatch && globalThis.__skimwatch.fields[%d]", f.Idx))
	if err != nil {
		return err
	}
	if err := d.focus(ctx, fd, obj); err != nil {
		return err
	}
	if f.Tag == "select" {
		target := optionIndex(f.Options, value)
		if target < 0 {
			return fmt.Errorf("no option for %q", value)
		}
		cur := max(f.Selected, 0)
		// Arrow keys on a focused, closed select change it as a person's
		// keyboard would, with trusted input and change events.
		key, n := kb.ArrowDown, target-cur
		if n < 0 {
			key, n = kb.ArrowUp, -n
		}
		return d.pressKey(ctx, fd.session, []rune(key)[0], n)
	}
	if f.Filled {
		// Select what is there so typing replaces it.
		ev := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: "a", Code: "KeyA", WindowsVirtualKeyCode: 65, Modifiers: 2, Commands: []string{"selectAll"}}
		cdp.Call(ctx, fd.session, input.DispatchKeyEvent, ev)
		ev.Type = input.DispatchKeyEventTypeKeyUp
		cdp.Call(ctx, fd.session, input.DispatchKeyEvent, ev)
	}
	return d.typeText(ctx, fd.session, value)
}

// probe fills every visible, recognised field in every frame with honey
// values. It returns the field it typed into last and its document, for
// submitting, and how many fields it filled.
func (d *driver) probe(ctx context.Context) (*frameDoc, *jsField, *jsForm, int, error) {
	t0 := time.Now()
	docs := d.collect(ctx)
	d.phase("collect forms", t0, "frames", len(docs))
	d.rec.setPhase(observation.PhaseInput)
	var lastDoc *frameDoc
	var lastField *jsField
	var lastForm *jsForm
	best := -1
	filled := 0
	for _, fd := range docs {
		for fi := range fd.doc.Forms {
			jf := &fd.doc.Forms[fi]
			score := 0
			for i := range jf.Fields {
				f := &jf.Fields[i]
				if !f.Visible || f.Disabled || f.class == observation.FieldOther {
					continue
				}
				value := d.valueFor(f)
				if value == "" {
					continue
				}
				t0, k0, p0 := time.Now(), d.timing.keys, d.timing.keyPauses
				err := d.fillField(ctx, fd, f, value)
				d.phase("fill field", t0, "class", f.class, "chars", len([]rune(value)),
					"keys", (d.timing.keys - k0).Round(time.Millisecond), "key pauses", (d.timing.keyPauses - p0).Round(time.Millisecond))
				if err != nil {
					if ctx.Err() != nil {
						return lastDoc, lastField, lastForm, filled, ctx.Err()
					}
					d.log.Debug("filling field", "name", f.Name, "class", f.class, "err", err)
					continue
				}
				filled++
				score++
				if observation.IsCardClass(f.class) {
					score += 10
				}
				d.recordFilled(fd, jf, f, value)
				if err := d.pause(ctx, 80*time.Millisecond, 250*time.Millisecond); err != nil {
					return lastDoc, lastField, lastForm, filled, err
				}
				if score > best {
					best, lastDoc, lastField, lastForm = score, fd, f, jf
				} else if lastForm == jf {
					lastField = f
				}
			}
		}
	}
	return lastDoc, lastField, lastForm, filled, nil
}

func (d *driver) recordFilled(fd *frameDoc, jf *jsForm, f *jsField, value string) {
	name := f.Name
	if name == "" {
		name = f.ID
	}
	d.probeRec.Filled = append(d.probeRec.Filled, observation.FilledField{DocumentURL: fd.doc.URL, Field: name, Class: f.class})
	if _, ok := d.probeRec.Values[f.class]; !ok || d.probeRec.Values[f.class] == "" {
		d.probeRec.Values[f.class] = value
	}
	if _, ok := d.actionOrigin[f.class]; !ok {
		origin := weborigin.Of(jf.Action)
		if jf.Action == "" {
			origin = weborigin.Of(fd.doc.URL)
		}
		d.actionOrigin[f.class] = origin
	}
}

// submitJS finds the button a person would press to send the form of
// field idx: a submit button inside the form, else a visible button near.
const submitJS = `(() => {
  const el = globalThis.__skimwatch && globalThis.__skimwatch.fields[%d];
  if (!el) return null;
  const vis = b => { const r = b.getBoundingClientRect(); return r.width > 1 && r.height > 1; };
  const scopes = [el.form, el.closest('fieldset, section, article, [role=form], div'), document].filter(Boolean);
  for (const s of scopes) {
    for (const b of s.querySelectorAll('button, input[type=submit], input[type=image]')) {
      const t = (b.getAttribute('type') || 'submit').toLowerCase();
      if ((t === 'submit' || t === 'image') && vis(b) && !b.disabled) return b;
    }
  }
  for (const s of scopes.slice(1)) {
    for (const b of s.querySelectorAll('button, [role=button], a.button, a.btn')) if (vis(b) && !b.disabled) return b;
  }
  return null;
})()`

// submit presses the form's submit button like a person, or Enter in the
// last field when there is none.
func (d *driver) submit(ctx context.Context, fd *frameDoc, f *jsField) error {
	d.rec.arm(ctx, "submitting")
	d.probeRec.Submitted = true
	// A person looks the form over before pressing the button; debounced
	// skimmers send in that moment, before the page goes away.
	if err := d.pause(ctx, 600*time.Millisecond, 1000*time.Millisecond); err != nil {
		return err
	}
	t0 := time.Now()
	btn, err := d.element(ctx, fd, fmt.Sprintf(submitJS, f.Idx))
	if err == nil {
		if err := d.click(ctx, fd, btn); err == nil {
			d.phase("click submit", t0)
			return nil
		}
	}
	obj, err := d.element(ctx, fd, fmt.Sprintf("globalThis.__skimwatch.fields[%d]", f.Idx))
	if err != nil {
		return fmt.Errorf("no submit button and no field to press Enter in: %w", err)
	}
	if err := d.focus(ctx, fd, obj); err != nil {
		return err
	}
	return d.pressKey(ctx, fd.session, '\r', 1)
}
