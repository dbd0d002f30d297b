package card

import (
	"context"
	"fmt"
	"log/slog"
)

// LogHandler wraps h so that no log record carries a card number: the
// message and every attribute (strings, numbers, errors and anything else
// printed with %v, inside groups too, and attributes added with With) are
// masked with MaskString before h sees them. A value that had to be masked
// is logged as its masked string.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h: h} }

type logHandler struct{ h slog.Handler }

func (l logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, MaskString(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return l.h.Handle(ctx, out)
}

func (l logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = maskAttr(a)
	}
	return logHandler{h: l.h.WithAttrs(masked)}
}

func (l logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h: l.h.WithGroup(MaskString(name))}
}

func maskAttr(a slog.Attr) slog.Attr {
	a.Key = MaskString(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, MaskString(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, ga := range g {
			out[i] = maskAttr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64:
		if s := v.String(); MaskString(s) != s {
			return slog.String(a.Key, MaskString(s))
		}
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); MaskString(s) != s {
			return slog.String(a.Key, MaskString(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
