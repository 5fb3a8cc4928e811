// Accessibility for the course's ipywidgets quizzes (course_utils/quiz/a11y.py loads this file).
// JupyterLab runs it as the application/javascript output of a hidden Output widget inside the quiz
// (widget outputs are trusted); `element` is that output's node. It finds the enclosing
// `.course-a11y-root` and, now and whenever the widgets re-render:
//  - keeps keys typed in the quiz away from JupyterLab's notebook shortcuts (a, b, m, d d, arrows...):
//    keydown stops propagating at the quiz (JupyterLab listens on document in the bubbling phase);
//    keys with Ctrl/Alt/Meta still reach JupyterLab (Ctrl+S saves);
//  - makes each question's radios ONE named group (arrow keys move the choice) with role=radiogroup,
//    and each checkbox list a role=group, both labelled by the question's stem;
//  - names every button by its tooltip (aria-label), so 'Check' buttons are told apart;
//  - makes each feedback Output a polite live region, so verdicts are announced;
//  - after Try again, puts the focus on the question's first option.
(function (element) {
  'use strict';
  var counter = window.__courseA11yCounter || 0;
  function uid(prefix) { counter += 1; window.__courseA11yCounter = counter; return prefix + '-' + counter; }
  function idOf(node, prefix) { if (!node.id) { node.id = uid(prefix); } return node.id; }
  function set(node, name, value) { if (node && node.getAttribute(name) !== value) { node.setAttribute(name, value); } }

  function enhanceQuestion(q) {
    var stem = q.querySelector('.course-a11y-stem');
    var stemId = stem ? idOf(stem, 'course-a11y-stem') : null;
    var choices = q.querySelector('.course-a11y-choices');
    if (!choices) { return; }
    var radioBox = choices.querySelector('.widget-radio-box');
    if (radioBox) {
      set(radioBox, 'role', 'radiogroup');
      if (stemId) { set(radioBox, 'aria-labelledby', stemId); }
      var group = radioBox.getAttribute('data-course-group') || uid('course-a11y-group');
      set(radioBox, 'data-course-group', group);
      radioBox.querySelectorAll('input[type="radio"]').forEach(function (r) { set(r, 'name', group); });
      var emptyLabel = choices.querySelector(':scope > .widget-label');
      if (emptyLabel && !emptyLabel.textContent.trim()) { set(emptyLabel, 'aria-hidden', 'true'); }
    } else {
      set(choices, 'role', 'group');
      var note = choices.querySelector('.course-a11y-note');
      var ids = [stemId, note ? idOf(note, 'course-a11y-note') : null].filter(Boolean).join(' ');
      if (ids) { set(choices, 'aria-labelledby', ids); }
      choices.querySelectorAll('.widget-checkbox > .widget-label').forEach(function (l) { set(l, 'aria-hidden', 'true'); });
    }
  }

  // ipywidgets 8.1 rebuilds a RadioButtons' inputs whenever the kernel changes its value (Try again,
  // a restored answer), which drops the keyboard focus on the page's body: put it back on the new
  // input with the same value, if focus was lost there within the last 3 s.
  var lastRadio = null;
  function rememberRadio(event) {
    var t = event.target;
    lastRadio = t.matches && t.matches('.widget-radio-box input') ? {el: t, box: t.closest('.widget-radio-box'), value: t.value, at: 0} : null;
  }
  function radioBlurred(event) { if (lastRadio && event.target === lastRadio.el) { lastRadio.at = Date.now(); } }
  function restoreRadioFocus() {
    var a = document.activeElement;
    if (!lastRadio || lastRadio.el.isConnected || !lastRadio.at || Date.now() - lastRadio.at > 3000) { return; }
    if (a && a !== document.body) { return; }
    var again = lastRadio.box.querySelector('input[value="' + lastRadio.value + '"]');
    if (again) { again.focus(); }
  }

  function enhance(root) {
    root.querySelectorAll('.course-a11y-question').forEach(enhanceQuestion);
    root.querySelectorAll('button[title]').forEach(function (b) {
      var name = b.getAttribute('title');
      if (name) { set(b, 'aria-label', name); }
    });
    root.querySelectorAll('.course-a11y-live').forEach(function (o) {
      set(o, 'aria-live', 'polite');
      set(o, 'aria-atomic', 'false');
      set(o, 'aria-relevant', 'additions text');
    });
    restoreRadioFocus();
  }

  // Try again clears the question: keep the keyboard there, on its first option.
  function focusAfterTryAgain(event) {
    var button = event.target.closest && event.target.closest('.course-quiz-try-again');
    var question = button && button.closest('.course-a11y-question');
    var first = question && question.querySelector('.course-a11y-choices input');
    if (first) { first.focus(); }
  }

  function stopShortcuts(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    event.stopPropagation();
  }

  var tries = 0;
  function setup() {
    var root = element.closest('.course-a11y-root');
    if (!root || !root.isConnected) {
      tries += 1;
      if (tries < 400) { setTimeout(setup, 50); }
      return;
    }
    if (root.__courseA11y) { root.__courseA11y(); return; }
    var pending = false;
    var run = function () { pending = false; enhance(root); };
    root.__courseA11y = run;
    root.setAttribute('data-course-a11y', 'on');
    root.addEventListener('keydown', stopShortcuts);
    root.addEventListener('click', focusAfterTryAgain);
    root.addEventListener('focusin', rememberRadio);
    root.addEventListener('focusout', radioBlurred);
    new MutationObserver(function () {
      if (!pending) { pending = true; Promise.resolve().then(run); }
    }).observe(root, {childList: true, subtree: true, attributes: true, attributeFilter: ['title']});
    run();
  }
  setup();
})(element);
