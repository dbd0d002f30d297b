/*! minq v1.4.2 | a small DOM helper for Yutori no Kukan | (c) yutori-lab */
(function (window, document) {
  'use strict';

  // Minq wraps a list of elements, like a very small jQuery.
  function Minq(nodes) {
    this.length = nodes.length;
    for (var i = 0; i < nodes.length; i++) {
      this[i] = nodes[i];
    }
  }

  function minq(selector, root) {
    if (typeof selector === 'function') {
      return minq.ready(selector);
    }
    if (selector instanceof Minq) {
      return selector;
    }
    if (selector && selector.nodeType) {
      return new Minq([selector]);
    }
    return new Minq((root || document).querySelectorAll(selector));
  }

  minq.fn = Minq.prototype;

  minq.fn.each = function (fn) {
    for (var i = 0; i < this.length; i++) {
      fn.call(this[i], i, this[i]);
    }
    return this;
  };

  minq.fn.on = function (type, fn, capture) {
    return this.each(function () {
      this.addEventListener(type, fn, !!capture);
    });
  };

  minq.fn.val = function (value) {
    if (value === undefined) {
      return this.length ? this[0].value : undefined;
    }
    return this.each(function () {
      this.value = value;
    });
  };

  minq.fn.text = function (value) {
    if (value === undefined) {
      return this.length ? this[0].textContent : '';
    }
    return this.each(function () {
      this.textContent = value;
    });
  };

  minq.fn.addClass = function (name) {
    return this.each(function () {
      this.classList.add(name);
    });
  };

  minq.fn.removeClass = function (name) {
    return this.each(function () {
      this.classList.remove(name);
    });
  };

  minq.fn.toggle = function (show) {
    return this.each(function () {
      this.hidden = !show;
    });
  };

  minq.ready = function (fn) {
    if (document.readyState !== 'loading') {
      fn(minq);
    } else {
      document.addEventListener('DOMContentLoaded', function () {
        fn(minq);
      });
    }
  };

  // getJSON fetches same-origin JSON.
  minq.getJSON = function (url) {
    return fetch(url, {credentials: 'same-origin'}).then(function (r) {
      if (!r.ok) {
        throw new Error('HTTP ' + r.status);
      }
      return r.json();
    });
  };

  minq.formatYen = function (n) {
    return '¥' + String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  };

  window.minq = window.$ = minq;
})(window, document);
