package report

import (
	"encoding/json"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/store"
)

// The fixture replays the seed's incident in small: the payment page and
// the registration page tampered with from December 2020 to January 2021,
// found by skimwatch's checks and a customer's CSP report.
var (
	issued    = time.Date(2021, 1, 28, 9, 0, 0, 0, jst)
	opened    = time.Date(2021, 1, 27, 11, 30, 0, 0, jst)
	t1        = time.Date(2020, 12, 8, 2, 0, 0, 0, time.UTC)  // last clean check
	t2        = time.Date(2020, 12, 8, 2, 10, 0, 0, time.UTC) // first dirty check
	t3        = time.Date(2021, 1, 26, 8, 50, 0, 0, time.UTC) // last dirty check
	t4        = time.Date(2021, 1, 26, 9, 0, 0, 0, time.UTC)  // first clean check
	hashClean = "9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a"
	hashDirty = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	hashGone  = "0718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6"
	hashCSP   = "5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b"
	chainHead = "5210:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	evilURL   = `https://cdn-jquery.example/jquery.min.js?v=1"><script>alert(1)</script>`
)

func fixtureIncident() *incident.Incident {
	cards := []incident.DataClass{incident.ClassCardNumber, incident.ClassCardExpiry, incident.ClassCardHolder, incident.ClassSecurityCode}
	personal := []incident.DataClass{incident.ClassPersonalData}
	start := incident.Bounds{
		After: t1, NoLaterThan: t2, AfterSource: incident.SourceCheck, NoLaterThanSource: incident.SourceCheck,
		Source: "browser checks",
		Evidence: []incident.Citation{
			{EventSeq: 1201, EventHash: hashClean, Source: incident.SourceCheck, What: "checkout served no unknown script", Time: t1},
			{EventSeq: 1202, EventHash: hashDirty, Source: incident.SourceCheck, What: "checkout served the skimmer (sha256 4f1c…)", Time: t2},
		},
	}
	end := incident.Bounds{
		After: t3, NoLaterThan: t4, AfterSource: incident.SourceCheck, NoLaterThanSource: incident.SourceCheck,
		Source: "browser checks",
		Evidence: []incident.Citation{
			{EventSeq: 5120, EventHash: hashCSP, Source: incident.SourceCSP, What: "a customer's browser reported the skimmer's origin", Time: t3.Add(-time.Hour)},
			{EventSeq: 5188, EventHash: hashGone, Source: incident.SourceCheck, What: "checkout no longer served the skimmer", Time: t4},
		},
	}
	regStart := start
	regStart.Evidence = []incident.Citation{
		{EventSeq: 1202, EventHash: hashDirty, Source: incident.SourceCheck, What: "checkout served the skimmer (sha256 4f1c…)", Time: t2},
		{Source: incident.SourceAccessLog, What: "first request for /js/jquery.min.js in access.log", Time: t2.Add(-3 * time.Minute), Offline: true},
	}
	order := func(id, kind string, at time.Time, cust, email, name string, ex []incident.DataClass, possibly bool) incident.AffectedOrder {
		return incident.AffectedOrder{ID: id, Kind: kind, Time: at, CustomerID: cust, Email: email, Name: name, Exposed: ex, Possibly: possibly}
	}
	inc := &incident.Incident{
		ID: "inc-20210127-01", Site: "yutori", Opened: opened, FindingKey: "f-7d1e",
		Artifact: incident.Artifact{
			ScriptSHA256: []string{"4f1c9a0e6b7d2c3e5f8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6"},
			ScriptURL:    evilURL,
			Origins:      []string{"https://cdn-jquery.example"},
			Path:         "/var/www/shop/html/js/jquery.min.js",
			Pages:        []string{"https://shop.example/checkout", "https://shop.example/register"},
			Exposed:      append(append([]incident.DataClass{}, cards...), personal...),
		},
		Window: incident.Window{Start: start, End: end},
		Pages: []incident.Page{
			{Target: "https://shop.example/checkout", Kind: "payment", Exposed: cards, Window: incident.Window{Start: start, End: end}},
			{Target: "https://shop.example/register", Kind: "registration", Exposed: personal, Window: incident.Window{Start: regStart, End: end}},
		},
		Affected: []incident.AffectedOrder{
			order("O-1001", "order", t2.Add(time.Hour), "C-1", "hanako@example.jp", "山田 花子", cards, false),
			order("O-1002", "order", t2.Add(48*time.Hour), "C-2", "taro@example.jp", "佐藤 太郎", cards, false),
			order("O-1003", "order", t3.Add(-time.Hour), "C-1", "hanako@example.jp", "山田 花子", cards, false),
			order("R-2001", "registration", t2.Add(72*time.Hour), "C-3", "ken@example.com", `=HYPERLINK("https://evil.example","Ken")`, personal, false),
		},
		PossiblyAffected: []incident.AffectedOrder{
			order("O-1004", "order", t3.Add(5*time.Minute), "C-4", "jiro@example.jp", "鈴木 次郎", cards, true),
		},
		Customers: []incident.Customer{
			{Key: "C-1", Email: "hanako@example.jp", Name: "山田 花子", Orders: []string{"O-1001", "O-1003"}, Exposed: cards},
			{Key: "C-2", Email: "taro@example.jp", Name: "佐藤 太郎", Orders: []string{"O-1002"}, Exposed: cards},
			{Key: "C-3", Email: "ken@example.com", Name: `=HYPERLINK("https://evil.example","Ken")`, Orders: []string{"R-2001"}, Exposed: personal},
			{Key: "C-4", Email: "jiro@example.jp", Name: "鈴木 次郎", Orders: []string{"O-1004"}, Exposed: cards, Possibly: true},
		},
		Counts: incident.Counts{
			Orders: 3, Registrations: 1, Customers: 3, PossiblyAffected: 1, PossiblyCustomers: 1,
			PerClass: map[incident.DataClass]int{
				incident.ClassCardNumber: 3, incident.ClassCardExpiry: 3, incident.ClassCardHolder: 3, incident.ClassSecurityCode: 3, incident.ClassPersonalData: 1,
			},
			PerClassCustomers: map[incident.DataClass]int{
				incident.ClassCardNumber: 2, incident.ClassCardExpiry: 2, incident.ClassCardHolder: 2, incident.ClassSecurityCode: 2, incident.ClassPersonalData: 1,
			},
		},
		OrdersSource: "orders.csv",
		ChainHead:    chainHead,
	}
	return inc
}

func fixtureShop() Shop {
	return Shop{
		Name:     Localized{"ja": "ゆとりの空間オンラインショップ", "en": "Yutori no Kukan online shop"},
		URL:      "https://shop.example/",
		Operator: Localized{"ja": "株式会社ゆとりの空間", "en": "Yutori no Kukan Co., Ltd."},
		Contact:  Localized{"ja": "専用コールセンター 0120-000-000（10:00～18:00、土日祝を除く）", "en": "Dedicated call centre 0120-000-000 (10:00-18:00 JST, weekdays)"},
		Actions: []Localized{
			{"ja": "2021年1月27日、カード決済を停止しました。", "en": "Card payments were stopped on 27 January 2021."},
			{"ja": "不正なプログラムを削除しました。", "en": "The malicious program was removed."},
		},
	}
}

func fixtureInput() *Input {
	b := inventory.New(time.Date(2020, 11, 2, 10, 0, 0, 0, time.UTC))
	b.Pages["https://shop.example/checkout"] = &inventory.PageInventory{
		Target: "https://shop.example/checkout",
		Scripts: []inventory.ScriptEntry{
			{Identity: "https://shop.example/js/app.js", Kind: "external", URL: "https://shop.example/js/app.js", Fingerprints: []string{"b7e1f0c2"}},
			{Identity: "inline:checkout#1", Kind: "inline", Document: "https://shop.example/checkout", Fingerprints: []string{"c0ffee12"}},
		},
	}
	scripts := ScriptsFromBaseline(b)
	scripts[0].ApprovedBy = "Web team (A. Suzuki)"
	scripts[0].Justification = "Shop front-end: cart and form validation"

	payload, _ := json.Marshal(map[string]string{"title": "unknown script on checkout"})
	alerts := []Alert{{
		Incident: store.Incident{
			Site: "yutori", Key: "f-7d1e", Kind: store.IncidentFinding, Status: store.IncidentOpen,
			Target: "https://shop.example/checkout", Detector: "browser",
			Finding: finding.Finding{Severity: finding.Critical, Kind: "honey.card-exfiltration",
				Message: "unknown script https://cdn-jquery.example/jquery.min.js sends card fields"},
			Opened: t2, LastSeen: t3, Announced: t2.Add(time.Minute),
			Acknowledged: opened, AckBy: "owner@shop.example",
		},
		Deliveries: []store.Delivery{
			{ID: "d1", AlertID: "a1", Sink: "mail", Site: "yutori", Payload: payload, Status: store.DeliveryDelivered, Attempts: 1, Created: t2.Add(time.Minute)},
			{ID: "d2", AlertID: "a1", Sink: "slack", Site: "yutori", Payload: payload, Status: store.DeliveryFailed, Attempts: 5, Created: t2.Add(time.Minute), LastError: "503 Service Unavailable"},
		},
	}}
	events := []store.Event{
		{Seq: 1201, Time: t1, Site: "yutori", Type: "check.run", Actor: "serve", Hash: hashClean},
		{Seq: 1202, Time: t2, Site: "yutori", Type: "check.run", Actor: "serve", Hash: hashDirty},
		{Seq: 1203, Time: t2.Add(time.Minute), Site: "yutori", Type: "alert.sent", Actor: "serve", Hash: "d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3"},
		{Seq: 5120, Time: t3.Add(-time.Hour), Site: "yutori", Type: "csp.report", Actor: "collector", Hash: hashCSP},
		{Seq: 5188, Time: t4, Site: "yutori", Type: "check.run", Actor: "serve", Hash: hashGone},
	}
	return &Input{
		Incident: fixtureIncident(), Shop: fixtureShop(), Issued: issued,
		Scripts: scripts, Alerts: alerts, Events: events,
	}
}
