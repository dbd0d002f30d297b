// Synthetic loader for skimwatch tests: a string of code run by a timer.
setTimeout(atob("Y29uc29sZS5sb2coInNraW13YXRjaCB0ZXN0IHNhbXBsZSIp"), 1500);
window[atob("ZXZhbA==")]("1+1");
