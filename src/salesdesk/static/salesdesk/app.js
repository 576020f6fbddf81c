// Behaviour the templates ask for with data- attributes, so that no page needs an inline
// script or an on...= handler: the Content-Security-Policy allows neither.
(function () {
  "use strict";

  // <select data-autosubmit>: submit the form as soon as another value is chosen.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });

  // data-confirm="question?" on a form or on its submit button: ask before sending.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // A link to a <details> element (#sp-username) opens it.
  function openLinkedDetails() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.scrollIntoView();
    }
  }

  // <fieldset data-shown-when="outcome=advance">: shown only while the radio button
  // `outcome` has the value `advance`.
  function syncShownWhen() {
    document.querySelectorAll("[data-shown-when]").forEach(function (box) {
      var rule = box.getAttribute("data-shown-when").split("=");
      var chosen = document.querySelector('input[name="' + rule[0] + '"]:checked');
      box.hidden = !(chosen && chosen.value === rule[1]);
    });
  }

  document.addEventListener("change", syncShownWhen);
  window.addEventListener("hashchange", openLinkedDetails);
  document.addEventListener("DOMContentLoaded", function () {
    openLinkedDetails();
    syncShownWhen();
  });
})();
