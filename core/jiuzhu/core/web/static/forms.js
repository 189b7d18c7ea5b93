// Form helpers for the pages, without inline script (the Content-Security-Policy allows none).
// - [data-confirm="…"] on a form: ask before submitting it.
// - check-out ([data-checkout]): a handwritten signature drawn on a canvas and sent as a PNG
//   data URL in a hidden field; a warning before checking out with unticked steps; photos
//   downscaled on the phone before upload.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function setupPad(form) {
    var canvas = form.querySelector("canvas[data-signature]");
    var field = form.querySelector("[data-signature-value]");
    if (!canvas || !field) return;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
    function blank() {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    }
    blank();
    if (field.value) {  // the signature drawn before a refused check-out
      var img = new Image();
      img.onload = function () { ctx.drawImage(img, 0, 0); drawn = true; };
      img.src = field.value;
    }
    function point(e) {
      var r = canvas.getBoundingClientRect();
      return {
        x: (e.clientX - r.left) * (canvas.width / r.width),
        y: (e.clientY - r.top) * (canvas.height / r.height)
      };
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true;
      canvas.setPointerCapture(e.pointerId);
      var p = point(e);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = point(e);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      drawn = true;
      e.preventDefault();
    });
    function stop() {
      if (!drawing) return;
      drawing = false;
      if (drawn) field.value = canvas.toDataURL("image/png");
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    var clear = form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        blank();
        drawn = false;
        field.value = "";
      });
    }
  }

  function setupSteps(form) {
    form.addEventListener("submit", function (event) {
      var confirmField = form.querySelector("[data-confirm-missing]");
      if (!confirmField) return;  // the page already asks with a checkbox
      var open = [];
      form.querySelectorAll("input[name=steps]").forEach(function (box) {
        if (!box.checked) open.push(box.value);
      });
      if (!open.length) return;
      if (window.confirm("以下服务步骤未勾选：\n" + open.join("\n") + "\n\n确认这些步骤未完成，仍要签退吗？")) {
        confirmField.value = "1";
      } else {
        event.preventDefault();
      }
    });
  }

  // A phone photo is several MB: send it at most 1600 px on its longer side, as JPEG.
  function setupPhotos(form) {
    if (typeof DataTransfer === "undefined") return;
    form.querySelectorAll("input[type=file][data-photo]").forEach(function (input) {
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files || []);
        var count = input.parentNode.querySelector("[data-photo-count]");
        if (count) count.textContent = files.length ? "已选择" + files.length + "张" : "未选择";
        if (!files.length) return;
        var out = new DataTransfer();
        var left = files.length;
        files.forEach(function (file) {
          var img = new Image();
          function keep(blob) {
            out.items.add(blob ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
            left -= 1;
            if (!left) input.files = out.files;
          }
          img.onload = function () {
            var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
            var c = document.createElement("canvas");
            c.width = Math.round(img.width * scale);
            c.height = Math.round(img.height * scale);
            c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
            c.toBlob(keep, "image/jpeg", 0.85);
          };
          img.onerror = function () { keep(null); };
          // a data: URL, which the Content-Security-Policy allows for images (blob: it does not)
          var reader = new FileReader();
          reader.onload = function () { img.src = reader.result; };
          reader.onerror = function () { keep(null); };
          reader.readAsDataURL(file);
        });
      });
    });
  }

  // 点单: the total of the ticked items (price × quantity), shown before 下单.
  function yuan(fen) { return (fen / 100).toFixed(2) + "元"; }
  function setupOrder(form) {
    var out = form.querySelector("#order-total");
    if (!out) return;
    function update() {
      var total = 0, spends = 0, n = 0;
      form.querySelectorAll("input[name=items]").forEach(function (box) {
        if (!box.checked) return;
        var qty = form.querySelector("[data-qty-for='" + box.value + "']");
        var q = qty ? parseInt(qty.value, 10) : 1;
        if (!(q > 0)) q = 0;
        var amount = parseInt(box.getAttribute("data-price"), 10) * q;
        total += amount;
        if (box.getAttribute("data-free") !== "1") spends += amount;
        n += 1;
      });
      var text = n ? "已选" + n + "项，合计 " + yuan(total) : "合计：未选择";
      var available = out.getAttribute("data-available");
      if (n && available !== "") {
        text += "（占用额度 " + yuan(spends) + "，可用 " + yuan(parseInt(available, 10)) + "）";
        out.classList.toggle("bad-text", spends > parseInt(available, 10));
      }
      out.textContent = text;
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  function ready() {
    document.querySelectorAll("form[data-order]").forEach(setupOrder);
    document.querySelectorAll("form[data-checkout]").forEach(function (form) {
      setupPad(form);
      setupSteps(form);
      setupPhotos(form);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
