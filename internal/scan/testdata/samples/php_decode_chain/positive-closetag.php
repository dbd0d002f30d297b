<?php
// Synthetic packed file for skimwatch tests: decoded and run in HTML mode.
eval("?>" . gzuncompress(base64_decode('eJyzsS/IKFAoSy0qzszPU0hJLMnMS7cFAEdDBvE=')));
