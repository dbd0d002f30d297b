import "time"
import "console"

rule now_is_after_2024 { condition: time.now() > 1704067200 }
rule now_is_before_2100 { condition: time.now() < 4102444800 }
rule now_defined { condition: defined time.now() }
