package lab

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Order is one order the shop recorded. It never holds card data.
type Order struct {
	ID    string
	Time  time.Time
	Name  string
	Email string
	Phone string
	// Total is in yen, shipping and tax included.
	Total int
	// Checkout is "link" or "token".
	Checkout string
	// ChargeID is the payment provider's charge.
	ChargeID string
}

type product struct {
	ID          string
	Name        string
	Description string
	Price       int
	Color       string
}

func catalogue() []product {
	return []product{
		{"linen-stole", "麻のストール / Linen stole", "近江の麻で織った、軽くてやわらかなストール。/ A light, soft stole woven from Omi linen.", 4980, "#d9cbb3"},
		{"hinoki-soap", "檜の石けん / Hinoki soap", "檜の精油を練り込んだ手作り石けん。/ Handmade soap with hinoki cypress oil.", 1320, "#e8d9a8"},
		{"mino-notebook", "美濃和紙のノート / Mino washi notebook", "美濃和紙の表紙、中紙は書きやすい上質紙。/ A notebook bound in Mino washi.", 1760, "#c9d6c3"},
		{"iron-kettle", "南部鉄器の急須 / Nanbu iron teapot", "岩手の工房で鋳造された南部鉄器。/ Cast in a workshop in Iwate.", 12100, "#6b6f73"},
		{"cotton-towel", "今治タオル / Imabari towel", "今治の綿タオル、ふんわり仕上げ。/ A fluffy cotton towel from Imabari.", 2200, "#f1ece2"},
	}
}

func findProduct(id string) (product, bool) {
	for _, p := range catalogue() {
		if p.ID == id {
			return p, true
		}
	}
	return product{}, false
}

const shippingYen = 550

type cartItem struct {
	ProductID string
	Qty       int
}

type member struct {
	Name, Email, Phone, Postcode, Address string
	salt, hash                            []byte
	Created                               time.Time
}

// pendingCheckout is a link-type checkout handed to the payment provider.
type pendingCheckout struct {
	Ref                string
	Name, Email, Phone string
	Total              int
	OrderID            string // set once completed
}

type session struct {
	id      string
	created time.Time
	cart    []cartItem
	member  string // email of the logged-in member
	csrf    []string
	pending map[string]*pendingCheckout
}

const maxCSRFPerSession = 32

// shopStore is the shop's in-memory "database".
type shopStore struct {
	mu       sync.Mutex
	sessions map[string]*session
	order    []string // session ids, oldest first, for eviction
	members  map[string]*member
	orderLog []Order
	seq      int
}

func newShopStore() *shopStore {
	return &shopStore{sessions: map[string]*session{}, members: map[string]*member{}}
}

func randomID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return prefix + hex.EncodeToString(b)
}

// session returns the session for id, or a new one when id is unknown.
func (s *shopStore) session(id string) (*session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[id]; ok {
		return ss, false
	}
	ss := &session{id: randomID("", 16), created: time.Now(), pending: map[string]*pendingCheckout{}}
	s.sessions[ss.id] = ss
	s.order = append(s.order, ss.id)
	if len(s.order) > maxSessions {
		delete(s.sessions, s.order[0])
		s.order = s.order[1:]
	}
	return ss, true
}

// with runs f with the store locked, so session fields can be changed.
func (s *shopStore) with(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *shopStore) issueCSRF(ss *session) string {
	tok := randomID("", 16)
	s.with(func() {
		ss.csrf = append(ss.csrf, tok)
		if len(ss.csrf) > maxCSRFPerSession {
			ss.csrf = ss.csrf[len(ss.csrf)-maxCSRFPerSession:]
		}
	})
	return tok
}

func (s *shopStore) checkCSRF(ss *session, tok string) bool {
	ok := false
	s.with(func() {
		for _, t := range ss.csrf {
			if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
				ok = true
			}
		}
	})
	return ok
}

func (s *shopStore) addToCart(ss *session, productID string, qty int) {
	s.with(func() {
		for i := range ss.cart {
			if ss.cart[i].ProductID == productID {
				ss.cart[i].Qty = min(ss.cart[i].Qty+qty, 99)
				return
			}
		}
		ss.cart = append(ss.cart, cartItem{productID, qty})
	})
}

// ensureDemoCart fills an empty cart so that a checkout page works as a
// single GET.
func (s *shopStore) ensureDemoCart(ss *session) {
	s.with(func() {
		if len(ss.cart) == 0 {
			ss.cart = []cartItem{{"linen-stole", 1}, {"hinoki-soap", 2}}
		}
	})
}

func (s *shopStore) cart(ss *session) []cartItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(ss.cart)
}

func (s *shopStore) clearCart(ss *session) { s.with(func() { ss.cart = nil }) }

func (s *shopStore) member(ss *session) *member {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss.member == "" {
		return nil
	}
	m := *s.members[ss.member]
	return &m
}

func hashPassword(salt []byte, password string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(password))
	return h.Sum(nil)
}

var errMemberExists = fmt.Errorf("this email is already registered")

func (s *shopStore) register(ss *session, m member, password string) error {
	m.salt = []byte(randomID("", 8))
	m.hash = hashPassword(m.salt, password)
	m.Created = time.Now()
	var err error
	s.with(func() {
		if _, ok := s.members[m.Email]; ok {
			err = errMemberExists
			return
		}
		s.members[m.Email] = &m
		ss.member = m.Email
	})
	return err
}

func (s *shopStore) login(ss *session, email, password string) bool {
	ok := false
	s.with(func() {
		m, found := s.members[email]
		if found && subtle.ConstantTimeCompare(m.hash, hashPassword(m.salt, password)) == 1 {
			ss.member = email
			ok = true
		}
	})
	return ok
}

func (s *shopStore) logout(ss *session) { s.with(func() { ss.member = "" }) }

func (s *shopStore) addPending(ss *session, p *pendingCheckout) {
	s.with(func() { ss.pending[p.Ref] = p })
}

func (s *shopStore) pending(ss *session, ref string) (pendingCheckout, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := ss.pending[ref]
	if !ok {
		return pendingCheckout{}, false
	}
	return *p, true
}

// completePending records the order for a pending link-type checkout once;
// a second call returns the first order.
func (s *shopStore) completePending(ss *session, ref, chargeID string) (Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := ss.pending[ref]
	if !ok {
		return Order{}, fmt.Errorf("unknown checkout %q", ref)
	}
	if p.OrderID != "" {
		for _, o := range s.orderLog {
			if o.ID == p.OrderID {
				return o, nil
			}
		}
	}
	o := s.recordLocked(Order{Name: p.Name, Email: p.Email, Phone: p.Phone, Total: p.Total, Checkout: "link", ChargeID: chargeID})
	p.OrderID = o.ID
	ss.cart = nil
	return o, nil
}

func (s *shopStore) record(o Order) Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recordLocked(o)
}

func (s *shopStore) recordLocked(o Order) Order {
	s.seq++
	o.Time = time.Now()
	o.ID = fmt.Sprintf("YK-%s-%04d", o.Time.Format("20060102"), s.seq)
	s.orderLog = append(s.orderLog, o)
	return o
}

func (s *shopStore) orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.orderLog)
}

func (s *shopStore) findOrder(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orderLog {
		if o.ID == id {
			return o, true
		}
	}
	return Order{}, false
}
