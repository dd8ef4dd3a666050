// reply-search pages: small enhancements only; every page works without this script.
(function () {
  'use strict';

  // Changing the sort order re-runs the search (without JS the 搜索 button does it).
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () {
      if (select.form) {
        select.form.submit();
      }
    });
  });

  // "/" or Ctrl+K (Cmd+K) focuses the search box, unless the user is typing elsewhere.
  document.addEventListener('keydown', function (event) {
    var box = document.getElementById('q');
    if (!box) {
      return;
    }
    var target = event.target;
    var typing = target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' ||
      target.tagName === 'SELECT' || target.isContentEditable);
    var ctrlK = (event.ctrlKey || event.metaKey) && !event.altKey &&
      (event.key === 'k' || event.key === 'K');
    var slash = event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey;
    if (ctrlK || slash) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // Character counter for the paste box; counts code points like the server does.
  document.querySelectorAll('textarea[data-maxchars]').forEach(function (area) {
    var max = parseInt(area.getAttribute('data-maxchars'), 10) || 0;
    var counter = document.getElementById(area.getAttribute('data-counter') || '');
    if (!counter || !max) {
      return;
    }
    var update = function () {
      var n = Array.from(area.value).length;
      counter.textContent = n.toLocaleString('zh-CN') + ' / ' + max.toLocaleString('zh-CN') + ' 字' +
        (n > max ? '（超出 ' + (n - max).toLocaleString('zh-CN') + ' 字）' : '');
      counter.classList.toggle('over', n > max);
    };
    area.addEventListener('input', update);
    update();
  });
})();
