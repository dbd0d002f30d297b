package web

// inventoryMessages are the inventory pages' messages (owned by the
// inventory engineer; the skeleton leaves them empty).
func inventoryMessages() catalog { return catalog{"en": {}, "ja": {}} }
